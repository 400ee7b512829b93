// Thread: main. Types for scripts/build-if-stale.mjs (plain JS so it runs before any build).
export declare const BUILD_INPUTS: readonly string[];
export declare const STAMP_FILE: string;
export declare function newestInput(root: string, inputs?: readonly string[]): { path: string; mtimeMs: number } | null;
export declare function buildState(root: string, inputs?: readonly string[]): { stale: boolean; reason: string };
export declare function writeStamp(root: string, startedMs?: number): void;
export declare function buildIfStale(
  root: string,
  opts?: { quiet?: boolean; command?: readonly string[] },
): { built: boolean; reason: string; ms: number };
