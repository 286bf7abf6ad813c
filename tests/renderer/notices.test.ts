// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../src-shared/api/errors.js';
import NoticeList from '../../src-renderer/components/NoticeList.vue';
import { useNavStore } from '../../src-renderer/stores/nav.js';
import { NEWS_SECONDS, useNoticesStore } from '../../src-renderer/stores/notices.js';
import { FakeHost, withLab } from './fake-host.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('notices', () => {
  it('stay on the view they were raised on; app-wide ones show on every view', async () => {
    const wrapper = mount(NoticeList, withLab(new FakeHost()));
    const nav = useNavStore();
    const notices = useNoticesStore();
    nav.open('data');
    notices.report('Reading picture.png', new Error('picture.png is a PNG image, not a data file'));
    notices.report('Connecting to the lab', new Error('the lab does not answer'));
    nav.open('train');
    notices.report('Cancelling the training', new Error('no such job'), 'train');
    await flushPromises();
    const shown = () => wrapper.findAll('.notice strong').map((context) => context.text());
    expect(shown()).toEqual(['Connecting to the lab:', 'Cancelling the training:']);
    nav.open('data');
    await flushPromises();
    expect(shown()).toEqual(['Reading picture.png:', 'Connecting to the lab:']);
    expect(notices.notices.map((n) => n.scope)).toEqual(['data', 'global', 'train']);
  });

  it('replace the notice of the same action, and go when the action succeeds', () => {
    withLab(new FakeHost());
    const notices = useNoticesStore();
    notices.report('Comparing runs', new ApiError('failed', 'first'));
    notices.report('Comparing runs', new ApiError('failed', 'second'));
    expect(notices.notices.map((n) => n.text)).toEqual(['second']);
    notices.resolve('Comparing runs');
    expect(notices.notices).toEqual([]);
  });

  it('news goes after a while, never while it is pointed at or focused; errors stay', async () => {
    vi.useFakeTimers();
    const wrapper = mount(NoticeList, withLab(new FakeHost()));
    const notices = useNoticesStore();
    notices.info('PDF report', '7 pages written to /tmp/r.pdf');
    notices.report('Importing sales.csv', new Error('sales.csv:9: click must be 0 or 1'));
    await flushPromises();
    await wrapper.get('.notices').trigger('mouseenter');
    vi.advanceTimersByTime(NEWS_SECONDS * 1000 + 1);
    expect(notices.notices.map((n) => n.kind)).toEqual(['info', 'error']);
    await wrapper.get('.notices').trigger('mouseleave');
    vi.advanceTimersByTime(5000);
    expect(notices.notices.map((n) => n.kind)).toEqual(['error']);
    vi.advanceTimersByTime(600_000);
    expect(notices.notices.map((n) => n.kind)).toEqual(['error']);
  });

  it('a dismissed notice hands focus on to the next one', async () => {
    const wrapper = mount(NoticeList, { ...withLab(new FakeHost()), attachTo: document.body });
    const notices = useNoticesStore();
    notices.report('Reading a.png', new Error('a.png is a PNG image, not a data file'));
    notices.report('Reading b.pdf', new Error('b.pdf is a PDF document, not a data file'));
    await flushPromises();
    const first = wrapper.get('button[aria-label="Dismiss: Reading a.png"]');
    (first.element as HTMLButtonElement).focus();
    await first.trigger('click');
    await flushPromises();
    expect(document.activeElement?.getAttribute('aria-label')).toBe('Dismiss: Reading b.pdf');
    wrapper.unmount();
  });
});
