import type { Project } from './project.js';
import { textList } from './sql.js';

/** A report written for some of the project's runs: where the file is and what it was made of. */
export interface StoredReport {
  id: string;
  path: string;
  createdAt: string;
  runs: string[];
  metadata: Record<string, unknown>;
}

export async function saveReport(project: Project, report: StoredReport): Promise<void> {
  await project.run(`INSERT INTO reports VALUES ($1, $2, $3::TIMESTAMP, ${textList(report.runs)}, $4)`, [
    report.id,
    report.path,
    report.createdAt,
    JSON.stringify(report.metadata),
  ]);
}

export async function findReport(project: Project, id: string): Promise<StoredReport | undefined> {
  const row = await project.one(
    `SELECT id, path, strftime(created_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS created_at, runs,
            CAST(metadata AS VARCHAR) AS metadata
     FROM reports WHERE id = $1`,
    [id],
  );
  if (!row) return undefined;
  return {
    id: String(row.id),
    path: String(row.path),
    createdAt: String(row.created_at),
    runs: (row.runs as string[]).map(String),
    metadata: JSON.parse(String(row.metadata)) as Record<string, unknown>,
  };
}
