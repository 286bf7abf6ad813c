/** WCAG 2 contrast, for the tests that check the charts' text can be read on its background. */

/** WCAG AA for text under 18 pt. */
export const MIN_CONTRAST = 4.5;

/** "#e6edf3", "rgb(230, 237, 243)" → [r, g, b] in 0–255; null for what is not an opaque plain colour. */
export function rgb(colour: string): [number, number, number] | null {
  const hex = /^#([0-9a-f]{6})$/i.exec(colour.trim());
  if (hex) return [0, 2, 4].map((k) => Number.parseInt(hex[1].slice(k, k + 2), 16)) as [number, number, number];
  const fn = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)\s*(?:[,/]\s*([\d.]+)\s*)?\)$/.exec(colour.trim());
  if (!fn || (fn[4] !== undefined && Number(fn[4]) < 1)) return null;
  return [Number(fn[1]), Number(fn[2]), Number(fn[3])];
}

/** The contrast ratio of two colours, 1 (the same) to 21 (black on white). */
export function contrastRatio(a: [number, number, number], b: [number, number, number]): number {
  const luminance = (c: [number, number, number]) => {
    const [r, g, bl] = c.map((v) => {
      const s = v / 255;
      return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [high, low] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (high + 0.05) / (low + 0.05);
}
