// Every chart type and component the shared builders may use, with both renderers. ECharts lands in its own chunk
// (vite.config.ts), so the app's code stays small and the library is cached apart from it.
import 'echarts';
