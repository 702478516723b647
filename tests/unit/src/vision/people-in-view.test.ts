/** People in view: counts steadied over frames, recognition only once it holds, and the room events a change calls for. */
import { describe, expect, it } from 'vitest';
import { EVENT_GAP_MS, PeopleInView, eventsFor, steady, type FrameFaces } from '../../../../src/vision/people-in-view.ts';
import type { VisionEventKind } from '../../../../protocol/camera.ts';

const counted = (n: number): FrameFaces => ({ faces: Array.from({ length: n }, () => ({ score: 0.8 })) });
const recognised = (...matches: (string | null)[]): FrameFaces => ({ faces: matches.map((m) => ({ score: 0.8, match: m ? { id: m, distance: 0.4 } : null })) });

describe('people in view', () => {
  it('a missed face in one frame does not change the count', () => {
    const p = new PeopleInView();
    expect(p.state().inView).toBeNull();
    for (const n of [3, 3, 2, 3]) p.frame(counted(n));
    expect(p.state().inView).toBe(3);
    for (const n of [2, 2]) p.frame(counted(n));
    expect(p.state().inView).toBe(2);
    expect(steady([1, 2])).toBe(2);
    expect(steady([4, 4, 5, 5])).toBe(5);
  });

  it('a person is shown once matched in 2 of the last 3 recognition frames, and dropped after 3 without', () => {
    const p = new PeopleInView();
    p.frame(recognised('anil', null));
    expect(p.state().recognised).toEqual([]);
    p.frame(counted(2)); // count-only frames do not vote
    p.frame(recognised(null, null));
    expect(p.state().recognised).toEqual([]);
    p.frame(recognised('anil', null)); // the window: anil, nobody, anil
    expect(p.state().recognised).toEqual(['anil']);
    p.frame(recognised(null));
    p.frame(recognised(null));
    expect(p.state().recognised).toEqual(['anil']);
    p.frame(recognised(null));
    expect(p.state().recognised).toEqual([]);
  });

  it('a face nobody enrolled shows once it holds over recognition frames', () => {
    const p = new PeopleInView();
    p.frame(recognised(null));
    expect(p.state().unknown).toBe(false);
    p.frame(recognised('anil', null));
    expect(p.state().unknown).toBe(true);
    p.forgetRecognition();
    expect(p.state()).toMatchObject({ unknown: false, recognised: [] });
  });
});

describe('room events from a change of view', () => {
  const s = (inView: number | null, devices: number, unknown = false) => ({ inView, recognised: [], unknown, devices });

  it('someone in view where nobody was; more people than devices, when it becomes so; a new unknown face', () => {
    const last = new Map<VisionEventKind, number>();
    expect(eventsFor(s(null, 2), s(1, 2), last, 0)).toEqual(['in-view']);
    expect(eventsFor(s(1, 2), s(2, 2), last, 10)).toEqual([]);
    expect(eventsFor(s(2, 2), s(3, 2, true), last, 20)).toEqual(['more-than-devices', 'unknown-face']);
    expect(eventsFor(s(3, 2, true), s(4, 2, true), last, 30)).toEqual([]);
  });

  it('a kind is recorded at most once a minute per camera, however the count flaps', () => {
    const last = new Map<VisionEventKind, number>();
    expect(eventsFor(s(0, 1), s(1, 1), last, 0)).toEqual(['in-view']);
    expect(eventsFor(s(1, 1), s(0, 1), last, 1000)).toEqual([]);
    expect(eventsFor(s(0, 1), s(1, 1), last, 2000)).toEqual([]);
    expect(eventsFor(s(0, 1), s(1, 1), last, EVENT_GAP_MS + 1)).toEqual(['in-view']);
  });
});
