/**
 * The feature registry the shell is built from. (A `.svelte.test.ts`: the registry imports the
 * features' components, which the `runes` project compiles.)
 */
import { describe, expect, it } from 'vitest';
import { FEATURES } from '../../../../src/app/feature-registry.ts';
import { parseRoute, routeHash } from '../../../../src/app/shell/route.ts';
import { MORE, Shell } from '../../../../src/app/shell/shell.svelte.ts';
import RoomVoiceBar from '../../../../src/voice/components/RoomVoiceBar.svelte';
import GatewayBanner from '../../../../src/gateway/components/GatewayBanner.svelte';

describe('the feature registry', () => {
  it('has unique ids that are routes, short labels and an icon for each', () => {
    const ids = FEATURES.map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).not.toContain(MORE);
    for (const f of FEATURES) {
      expect(parseRoute(routeHash(f.id)), f.id).toBe(f.id);
      expect(f.label.length, f.label).toBeLessThanOrEqual(9); // fits a 360 px phone's tab bar
      expect(f.icon.length, f.id).toBeGreaterThan(0);
    }
  });

  it('starts with the room (who is here) and keeps it and the timeline beside the page on a laptop', () => {
    expect(FEATURES[0]!.id).toBe('room');
    expect(FEATURES.filter((f) => f.beside).map((f) => [f.id, f.beside])).toEqual([['room', 'start'], ['timeline', 'end']]);
  });

  it('shows live microphones, timers and links to other rooms as indicators, on every page', () => {
    const indicators = FEATURES.flatMap((f) => (f.indicator ? [f.indicator.component] : []));
    expect(indicators).toContain(RoomVoiceBar);
    expect(indicators).toContain(GatewayBanner);
  });

  it('ends with About, reachable from a phone under More', () => {
    expect(FEATURES.at(-1)!.id).toBe('about');
    const shell = new Shell(FEATURES, { hash: () => '', go: () => {}, listen: () => () => {} }, () => false);
    expect(shell.overflow).toContain('about');
  });
});
