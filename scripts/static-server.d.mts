/** A route: a file read on each request, or bytes in memory with their content type. */
export type Route =
  | { readonly file: string; readonly type?: string }
  | { readonly body: string | Uint8Array; readonly type: string };

export interface StaticServer {
  /** `http://localhost:PORT/` */
  readonly url: string;
  close(): Promise<void>;
}

export const contentTypes: Readonly<Record<string, string>>;
export function contentTypeOf(path: string): string;
export function startStaticServer(
  routes: Readonly<Record<string, Route>>,
  options?: { readonly host?: string; readonly port?: number },
): Promise<StaticServer>;
