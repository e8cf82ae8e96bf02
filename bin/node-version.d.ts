export declare const NODE_MAJOR_NEEDED: number;
export declare function nodeVersionProblem(version: string, execPath: string): string | null;
