// Types for build-image.mjs, for the tests that keep it and the Dockerfile in step.
export interface DockerfileStage {
  from: string;
  name?: string;
  instructions: Array<{ op: string; args: string }>;
}
export interface ImageConfig {
  workdir: string;
  entrypoint?: string[];
  cmd?: string[];
  user?: string;
  env: string[];
  labels?: Record<string, string>;
}
export function parseDockerfile(text: string): DockerfileStage[];
export function nodeMajorOf(from: string): number;
export function sharedLibraries(binary: string): string[];
export function followDockerfile(options: { dockerfile?: string; context?: string; node?: string; work: string; log?: (line: string) => void }): { root: string; config: ImageConfig };
