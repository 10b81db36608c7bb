// Globals the site's scripts use that no imported module declares. Kept to what the code calls.

/** KaTeX's auto-render extension (vendored contrib/auto-render.min.js, a classic script before math.js). */
declare function renderMathInElement(
  element: Element,
  options?: {
    delimiters?: { left: string; right: string; display: boolean }[];
    ignoredClasses?: string[];
    throwOnError?: boolean;
  },
): void;

/** Material for MkDocs' page-ready stream (an RxJS Subject; instant navigation emits once per page). */
declare const document$: { subscribe(next: () => void): unknown } | undefined;

/**
 * The part of a dedicated worker's global scope the workers use. TypeScript's WebWorker lib cannot
 * be loaded next to the DOM lib in one program, so worker modules cast `self` to this.
 */
interface DedicatedWorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
}
