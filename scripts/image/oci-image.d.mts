// Types for oci-image.mjs, so TypeScript tests and harnesses can build images with it.
export interface OciImageSpec {
  names: string[];
  rootfs: string;
  out: string;
  cmd?: string[];
  entrypoint?: string[];
  env?: string[];
  user?: string;
  workdir?: string;
  labels?: Record<string, string>;
  createdBy?: string;
}
export interface OciImage {
  names: string[];
  tarPath: string;
  manifestDigest: string;
  configDigest: string;
  layerDigest: string;
}
export function ociArch(): string;
export function writeOciImage(image: OciImageSpec): Promise<OciImage>;
