#!/usr/bin/env node
// CDK app entry (cdk.json: `node --import tsx bin/helmstep.ts`).
// Deploy: npx cdk deploy -c clusterName=<eks-cluster>
import { App } from 'aws-cdk-lib';
import { buildHelmstepApp } from '../lib/app.ts';

const app = new App();
buildHelmstepApp(app);
app.synth();
