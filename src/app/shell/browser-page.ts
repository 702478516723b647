/** The address bar's fragment, as the shell uses it (route.ts): links and the back button move it. */
import type { ShellPage } from './shell.svelte.ts';

export function browserShellPage(): ShellPage {
  return {
    hash: () => location.hash,
    go: (hash) => void (location.hash = hash),
    listen: (changed) => {
      addEventListener('hashchange', changed);
      return () => removeEventListener('hashchange', changed);
    },
  };
}
