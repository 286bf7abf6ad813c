import { inject, type App, type InjectionKey } from 'vue';
// client.js, not index.js: the request schemas (zod) belong to the Node side and stay out of the bundle.
import { ApiClient } from '../src-shared/api/client.js';
import type { RendererHost } from './transport/index.js';

/** What views and stores reach the Node side through: the typed API and the shell's file handling. */
export interface Lab {
  api: ApiClient;
  host: RendererHost;
}

export const LAB_KEY: InjectionKey<Lab> = Symbol('esmc-lab');

export function installLab(app: App, host: RendererHost): Lab {
  const lab = { api: new ApiClient(host), host };
  app.provide(LAB_KEY, lab);
  return lab;
}

/** In a component's setup or a Pinia setup store (which runs in the app's context). */
export function useLab(): Lab {
  const lab = inject(LAB_KEY);
  if (!lab) throw new Error('ESMC Lab: useLab() outside an app that called installLab()');
  return lab;
}
