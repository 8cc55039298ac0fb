// One lifecycle: close() drains then releases, destroy() releases at once, both idempotent (the
// same promise every time), and a destroy() during a close() cuts the drain short.
import { describe, expect, it } from 'vitest';
import { Lifecycle } from '../../kernel/lifecycle.js';

describe('Lifecycle', () => {
  it('close drains, then releases once; later calls get the same promise', async () => {
    const life = new Lifecycle();
    const steps: string[] = [];
    let finish_drain!: () => void;
    const drained = new Promise<void>((resolve) => (finish_drain = resolve));
    const closing = life.close(
      async () => {
        steps.push('drain');
        await drained;
      },
      async (aborted) => {
        steps.push(`release ${aborted}`);
      },
    );
    expect(life.ending).toBe(true);
    expect(
      life.close(
        async () => {},
        async () => void steps.push('again'),
      ),
    ).toBe(closing);
    await new Promise((resolve) => setImmediate(resolve));
    expect(steps).toEqual(['drain']);
    finish_drain();
    await closing;
    expect(steps).toEqual(['drain', 'release false']);
    expect(life.destroy(async () => void steps.push('destroy'))).toBe(closing);
    expect(steps).toEqual(['drain', 'release false']);
  });

  it('destroy during a drain that never ends releases as aborted, and the close resolves', async () => {
    const life = new Lifecycle();
    const steps: string[] = [];
    const closing = life.close(
      () => new Promise<void>(() => {}),
      async (aborted) => void steps.push(`release ${aborted}`),
    );
    const destroying = life.destroy(async () => void steps.push('not this one'));
    expect(destroying).toBe(closing);
    await closing;
    expect(steps).toEqual(['release true']);
    expect(life.aborted).toBe(true);
  });

  it('destroy first releases at once, aborted', async () => {
    const life = new Lifecycle();
    const steps: string[] = [];
    await life.destroy(async (aborted) => void steps.push(`release ${aborted}`));
    expect(steps).toEqual(['release true']);
    await life.close(
      async () => void steps.push('drain'),
      async () => void steps.push('release again'),
    );
    expect(steps).toEqual(['release true']);
  });
});
