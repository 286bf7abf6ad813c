import { createPinia } from 'pinia';
import { createApp } from 'vue';
import type { PreloadApi } from '../src-shared/api/index.js';
import App from './App.vue';
import { installLab } from './lab.js';
import { useDataStore } from './stores/data.js';
import { useNavStore } from './stores/nav.js';
import { useNoticesStore } from './stores/notices.js';
import './styles/main.css';
import { pickHost } from './transport/index.js';

const host = pickHost({ esmc: (window as Window & { esmc?: PreloadApi }).esmc, location: window.location });
const app = createApp(App);
app.use(createPinia());
const { api } = installLab(app, host);

// Events that are not about one view: a file chosen in the desktop menu, the computation process restarting.
app.runWithContext(() => {
  const notices = useNoticesStore();
  const data = useDataStore();
  const nav = useNavStore();
  api.onEvent((event) => {
    if (event.type === 'service') {
      if (event.state === 'restarted') notices.info('Computation process', event.message);
      else notices.report('Computation process', new Error(event.message));
    } else if (event.type === 'import-file') {
      nav.open('data');
      void data.inspectRef(event.file);
    }
  });
});

app.config.errorHandler = (error, _instance, where) => {
  console.error(error);
  app.runWithContext(() => useNoticesStore().report(`Unexpected error (${where})`, error));
};

// A promise nobody awaited that failed is still a failure the person should read about.
window.addEventListener('unhandledrejection', (event) => {
  app.runWithContext(() => useNoticesStore().report('Unexpected error', event.reason));
});

app.mount('#app');
