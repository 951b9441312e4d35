// The pictures in docs/screenshots come from the browser tests, but only when asked
// (`make screenshots`): a plain test run leaves the tree as it found it.
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";

export const SCREENSHOTS = resolve(import.meta.dirname, "../../docs/screenshots");
const WANTED = process.env.LIFELINE_SCREENSHOTS === "1";

/**
 * Saves docs/screenshots/NAME.png when screenshots are wanted. `whole: true` grows the
 * viewport to the page's height first, so the whole page is in the picture with the floating
 * badge at its bottom-right corner.
 */
export async function screenshot(page, name, { whole = false } = {}) {
  if (!WANTED) return;
  await mkdir(SCREENSHOTS, { recursive: true });
  const viewport = page.viewportSize();
  if (whole) {
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    await page.setViewportSize({ width: viewport.width, height });
  }
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
  if (whole) await page.setViewportSize(viewport);
}
