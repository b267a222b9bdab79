/** Release names as helm accepts them; apart from the lifecycle so a reader loads no record schema. */
import { InvalidReleaseName, MAX_RELEASE_NAME_LENGTH, RELEASE_NAME_PATTERN } from './errors.ts';

/** Helm's chartutil.ValidateReleaseName. Throws InvalidReleaseName. */
export function validateReleaseName(name: string): void {
  if (name === '' || name.length > MAX_RELEASE_NAME_LENGTH || !RELEASE_NAME_PATTERN.test(name)) {
    throw new InvalidReleaseName(name);
  }
}
