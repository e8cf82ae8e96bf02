// One GET polled every few seconds while the view is shown: the last answer, the last error (kept beside stale
// data), and when the answer arrived; a 401 goes to onUnauthorized. Answers after unmount are dropped.
import { useEffect, useState } from 'preact/hooks';
import { getJson, Unauthorized } from './api.js';

const REFRESH_MS = 5000;

export function usePolling<T>(path: string, token: string, onUnauthorized: () => void, deps: unknown[] = []): { data: T | null; error: string | null; at: number } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [at, setAt] = useState(Date.now());
  useEffect(() => {
    let live = true;
    const load = async () => {
      try {
        const body = await getJson<T>(path, token);
        if (!live) return;
        setData(body);
        setError(null);
        setAt(Date.now());
      } catch (err) {
        if (!live) return;
        if (err instanceof Unauthorized) onUnauthorized();
        else setError((err as Error).message);
      }
    };
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [path, token, ...deps]);
  return { data, error, at };
}
