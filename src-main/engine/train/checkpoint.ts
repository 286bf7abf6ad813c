import { readFile } from 'node:fs/promises';
import { writeAtomically } from '../files.js';
import type { FeatureSchema } from '../data/dataset.js';
import { createModel, type EntireSpaceModel, type ModelConfig } from '../models/index.js';

/**
 * A trained model in one file: "ESMCLAB1", a little-endian u32 header length, the JSON header (model name,
 * config, feature schema, the encoding that turns raw files into its inputs, run metadata, tensor index),
 * zero padding to 4 bytes, then every parameter as float32. One file, written atomically, so a crash or cancel
 * never leaves a half-written model where the user asked for one.
 */
const MAGIC = 'ESMCLAB1';
const FORMAT_VERSION = 1;

export interface SavedModelHeader<Encoding = unknown, Meta = unknown> {
  format: 'esmc-lab-model';
  version: number;
  model: string;
  config: ModelConfig;
  schema: FeatureSchema;
  encoding: Encoding;
  meta: Meta;
  tensors: { name: string; shape: number[]; offset: number; length: number }[];
}

export async function saveModel<E, M>(path: string, model: EntireSpaceModel, encoding: E, meta: M): Promise<void> {
  const weights = await model.params.read();
  const tensors: SavedModelHeader['tensors'] = [];
  let offset = 0;
  for (const [name, { shape, data }] of Object.entries(weights)) {
    tensors.push({ name, shape, offset, length: data.length });
    offset += data.length;
  }
  const header: SavedModelHeader<E, M> = {
    format: 'esmc-lab-model',
    version: FORMAT_VERSION,
    model: model.info.name,
    config: model.config,
    schema: model.schema,
    encoding,
    meta,
    tensors,
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const padding = (4 - ((MAGIC.length + 4 + headerBytes.length) % 4)) % 4;
  const prefix = Buffer.alloc(MAGIC.length + 4);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(headerBytes.length + padding, MAGIC.length);
  await writeAtomically(path, async (file) => {
    await file.write(prefix);
    await file.write(Buffer.concat([headerBytes, Buffer.alloc(padding, 0x20)]));
    for (const { data } of Object.values(weights))
      await file.write(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  });
}

export async function loadModel<E, M>(
  path: string,
): Promise<{ model: EntireSpaceModel; header: SavedModelHeader<E, M> }> {
  const bytes = await readFile(path);
  if (bytes.length < MAGIC.length + 4 || bytes.toString('latin1', 0, MAGIC.length) !== MAGIC)
    throw new Error(`${path} is not an ESMC Lab model file`);
  const headerLength = bytes.readUInt32LE(MAGIC.length);
  const headerStart = MAGIC.length + 4;
  const header = JSON.parse(bytes.toString('utf8', headerStart, headerStart + headerLength)) as SavedModelHeader<E, M>;
  if (header.format !== 'esmc-lab-model') throw new Error(`${path} is not an ESMC Lab model file`);
  if (header.version > FORMAT_VERSION)
    throw new Error(
      `${path} was written by a newer ESMC Lab (model format ${header.version}); this version reads ${FORMAT_VERSION}`,
    );
  const dataStart = headerStart + headerLength;
  const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset + dataStart, bytes.byteOffset + bytes.length));
  const values: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const tensor of header.tensors) {
    if (tensor.offset + tensor.length > floats.length) throw new Error(`${path} is truncated (tensor ${tensor.name})`);
    values[tensor.name] = { shape: tensor.shape, data: floats.subarray(tensor.offset, tensor.offset + tensor.length) };
  }
  const model = createModel(header.model, header.schema, header.config);
  try {
    model.params.assign(values);
  } catch (error) {
    model.dispose();
    throw new Error(`${path}: ${(error as Error).message}`, { cause: error });
  }
  return { model, header };
}
