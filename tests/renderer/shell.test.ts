// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src-shared/api/errors.js';
import type { AppInfo, DatasetDetail, JobInfo } from '../../src-shared/api/index.js';
import ExportPdfButton from '../../src-renderer/components/ExportPdfButton.vue';
import NoticeList from '../../src-renderer/components/NoticeList.vue';
import StatusBar from '../../src-renderer/components/StatusBar.vue';
import { useAppStore } from '../../src-renderer/stores/app.js';
import { useDataStore } from '../../src-renderer/stores/data.js';
import { useNoticesStore } from '../../src-renderer/stores/notices.js';
import { useRunsStore } from '../../src-renderer/stores/runs.js';
import { FakeHost, withLab } from './fake-host.js';

const info = {
  version: '0.1.0',
  shell: 'browser',
  backend: { name: 'wasm', tfjsBackend: 'wasm', device: 'CPU (wasm SIMD)', skipped: [] },
  models: [],
  presets: [],
  defaults: {},
  project: { path: '/tmp/lab.duckdb', name: 'lab', datasets: [], runs: [] },
} as unknown as AppInfo;

const running: JobInfo = {
  id: 'j1',
  kind: 'train',
  title: 'Train esmm on sales',
  state: 'running',
  progress: 0.42,
  message: 'epoch 2',
  startedAt: '2026-01-01T00:00:00.000Z',
};

describe('status bar', () => {
  it('shows the project, the backend and each running job with a cancel that reaches the lab', async () => {
    const host = new FakeHost()
      .on('app.info', () => info)
      .on('jobs.list', () => [running, { ...running, id: 'j0', state: 'done', title: 'Import sales' }])
      .on('jobs.cancel', ({ jobId }) => ({ ...running, id: jobId, state: 'cancelled' }));
    const options = withLab(host);
    const wrapper = mount(StatusBar, options);
    await useAppStore().load();
    host.setConnection('open');
    await flushPromises();
    expect(wrapper.text()).toContain('Project: lab');
    expect(wrapper.text()).toContain('Backend: CPU (wasm SIMD) (wasm)');
    expect(wrapper.text()).toContain('connected');
    const progress = wrapper.findAll('progress');
    expect(progress.map((bar) => bar.attributes('aria-label'))).toEqual(['Train esmm on sales: 42%']);
    await wrapper.get('button[aria-label="Cancel Train esmm on sales"]').trigger('click');
    await flushPromises();
    expect(host.callsOf('jobs.cancel')).toEqual([{ jobId: 'j1' }]);
    expect(wrapper.findAll('progress')).toHaveLength(0);
  });

  it('says when the link is lost', async () => {
    const host = new FakeHost();
    const wrapper = mount(StatusBar, withLab(host));
    useAppStore();
    host.setConnection('reconnecting');
    await flushPromises();
    expect(wrapper.get('.connection').text()).toBe('connection lost, reconnecting…');
  });
});

describe('project switcher', () => {
  it('opens the project at the path typed, creating it when asked, and lists its runs', async () => {
    const host = new FakeHost()
      .on('project.open', ({ path }) => ({ path, name: 'other', datasets: [], runs: [] }))
      .on('runs.list', () => []);
    const wrapper = mount(StatusBar, withLab(host));
    useRunsStore().select(['r1']);
    useDataStore().dataset = { name: 'sales' } as DatasetDetail;
    const toggle = wrapper.get('button[aria-expanded]');
    expect(toggle.text()).toBe('Project: none');
    await toggle.trigger('click');
    await wrapper.get('input[type="text"]').setValue('  /data/other.duckdb ');
    await wrapper.get('input[type="checkbox"]').setValue(true);
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(host.callsOf('project.open')).toEqual([{ path: '/data/other.duckdb', create: true }]);
    expect(host.callsOf('runs.list')).toHaveLength(1);
    expect(wrapper.get('button[aria-expanded]').text()).toBe('Project: other');
    expect(wrapper.find('form').exists()).toBe(false);
    expect(useRunsStore().selected).toEqual([]);
    expect(useDataStore().dataset).toBeNull();
  });

  it('keeps the form open and says why when the project cannot be opened', async () => {
    const host = new FakeHost().on('project.open', () => {
      throw new ApiError('not-found', 'no project at /nowhere.duckdb (create it, or check the path)');
    });
    const wrapper = mount(StatusBar, withLab(host));
    await wrapper.get('button[aria-expanded]').trigger('click');
    await wrapper.get('input[type="text"]').setValue('/nowhere.duckdb');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(wrapper.find('form').exists()).toBe(true);
    expect(useNoticesStore().notices[0].text).toMatch(/no project at/);
  });
});

describe('messages', () => {
  it('shows a failure in words as an alert until it is dismissed', async () => {
    const wrapper = mount(NoticeList, withLab(new FakeHost()));
    const notices = useNoticesStore();
    notices.report(
      'Importing sales.csv',
      new ApiError('data-error', 'click must be 0 or 1', { where: { file: 'sales.csv', line: 9 } }),
    );
    await flushPromises();
    const alert = wrapper.get('[role="alert"]');
    expect(alert.text()).toContain('Importing sales.csv:');
    expect(alert.text()).toContain('sales.csv:9: click must be 0 or 1');
    await wrapper.get('button[aria-label="Dismiss: Importing sales.csv"]').trigger('click');
    expect(wrapper.find('[role="alert"]').exists()).toBe(false);
  });
});

describe('Export PDF button (Runs, Results and PSC views)', () => {
  it('writes the report of the runs it is given, shows its progress, opens the file and allows one at a time', async () => {
    const host = new FakeHost().on('report.create', () => ({ jobId: 'r1' })).on('jobs.list', () => []);
    const wrapper = mount(ExportPdfButton, { ...withLab(host), props: { runIds: ['a', 'b'] } });
    const button = () => wrapper.get('button');
    expect(button().text()).toBe('Export PDF');
    await button().trigger('click');
    await flushPromises();
    expect(host.callsOf('report.create')).toEqual([{ runIds: ['a', 'b'] }]);
    host.emitJob({ id: 'r1', kind: 'report', state: 'running', progress: 0.5, title: 'Report' });
    await flushPromises();
    expect(button().attributes('disabled')).toBeDefined();
    expect(wrapper.get('progress').attributes('aria-label')).toBe('Report: 50%');
    const result = { path: '/tmp/r.pdf', fileId: 'f1', pages: 9, bytes: 1000, seconds: 2 };
    host.emitJob({ id: 'r1', kind: 'report', state: 'done', progress: 1, title: 'Report', result });
    await flushPromises();
    expect(host.opened).toEqual(['f1']);
    expect(button().attributes('disabled')).toBeUndefined();
  });

  it('is enabled again when its report finished while the link was down', async () => {
    let listed: JobInfo[] = [];
    const host = new FakeHost()
      .on('app.info', () => info)
      .on('report.create', () => ({ jobId: 'r1' }))
      .on('jobs.list', () => listed);
    const wrapper = mount(ExportPdfButton, { ...withLab(host), props: { runIds: ['a'] } });
    useAppStore();
    await wrapper.get('button').trigger('click');
    await flushPromises();
    expect(wrapper.get('button').attributes('disabled')).toBeDefined();
    host.setConnection('reconnecting');
    const result = { path: '/tmp/r.pdf', fileId: 'f1', pages: 9, bytes: 1000, seconds: 2 };
    listed = [{ ...running, id: 'r1', kind: 'report', state: 'done', progress: 1, result }];
    host.setConnection('open');
    await flushPromises();
    expect(host.opened).toEqual(['f1']);
    expect(wrapper.get('button').attributes('disabled')).toBeUndefined();
  });

  it('is disabled without runs or when the view says so', async () => {
    const host = new FakeHost();
    const none = mount(ExportPdfButton, { ...withLab(host), props: { runIds: [] } });
    expect(none.get('button').attributes('disabled')).toBeDefined();
    const refused = mount(ExportPdfButton, { ...withLab(host), props: { runIds: ['a'], disabled: true } });
    expect(refused.get('button').attributes('disabled')).toBeDefined();
  });
});
