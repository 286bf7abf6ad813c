// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import FindingsList from '../../src-renderer/components/FindingsList.vue';
import type { Finding } from '../../src-shared/types/index.js';

describe('FindingsList for a file’s preview', () => {
  const partial = {
    rows: 100_000,
    wholeFile: false,
    needWholeFile: ['the counts of the whole file', 'whether a column is constant or nearly unique'],
  };
  const finding: Finding = {
    severity: 'warning',
    code: 'funnel-rows-dropped',
    message:
      '2 rows have a purchase or in-shop action without a click; they were dropped (in the first 100,000 rows of the file)',
    count: 2,
    exampleLines: [9, 14],
  };

  it('says a partial read checked the first rows, what needs the whole file, and claims no more', () => {
    const empty = mount(FindingsList, { props: { findings: [], checked: partial } });
    expect(empty.get('[role="note"]').text()).toBe(
      'Checked on the first 100,000 rows of the file; the import checks the whole file, which these need: ' +
        'the counts of the whole file; whether a column is constant or nearly unique.',
    );
    expect(empty.text()).toContain('No findings in the first 100,000 rows.');
    expect(empty.text()).not.toContain('every check passed');

    const found = mount(FindingsList, { props: { findings: [finding], checked: partial } });
    expect(found.find('[role="note"]').exists()).toBe(true);
    expect(found.get('li').text()).toContain('in the first 100,000 rows of the file');
    expect(found.get('li').text()).toContain('e.g. line 9, 14');
  });

  it('says every check passed only when they ran on the whole file, or on a dataset', () => {
    const whole = mount(FindingsList, {
      props: { findings: [], checked: { rows: 48, wholeFile: true, needWholeFile: [] } },
    });
    expect(whole.find('[role="note"]').exists()).toBe(false);
    expect(whole.text()).toBe('No findings: every check passed.');
    expect(mount(FindingsList, { props: { findings: [] } }).text()).toBe('No findings: every check passed.');
  });
});
