// Opens each SVG given on the command line in headless Chromium, as a person would: types a
// search into inferno's prompt and checks the highlighted frames against the frames whose
// names match, clicks a frame and checks that it zoomed to the full width, and saves a
// screenshot next to the SVG. Prints one line per check; exits 1 on any failure.
import { chromium } from "playwright-core";
import path from "node:path";
import { pathToFileURL } from "node:url";

const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const [, , term, ...files] = process.argv;
const browser = await chromium.launch({
  executablePath,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
let failures = 0;
const check = (ok, what) => {
  console.log(`${ok ? "ok" : "FAIL"} ${what}`);
  if (!ok) failures++;
};

for (const file of files) {
  const name = path.basename(file);
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(pathToFileURL(path.resolve(file)).href);
  await page.waitForSelector("#frames");

  // Search: inferno asks with window.prompt(); answer it like a person typing.
  page.once("dialog", (d) => d.accept(term));
  await page.click("#search");
  await page.waitForFunction(() => document.getElementById("matched").textContent.includes("Matched"));
  const result = await page.evaluate((term) => {
    const re = new RegExp(term);
    const groups = [...document.querySelectorAll("#frames > g")];
    const expected = groups.filter((g) => re.test(g.querySelector("title").textContent.replace(/ \([^()]*\)$/, ""))).length;
    const highlighted = groups.filter((g) => g.querySelector("rect").getAttribute("fill") === searchcolor).length;
    return { expected, highlighted, matched: document.getElementById("matched").textContent };
  }, term);
  check(result.expected > 0 && result.highlighted === result.expected,
    `${name}: search "${term}" highlights ${result.highlighted} of ${result.expected} matching frames (${result.matched})`);

  // Zoom: click the widest frame of the level nearest the root (from one above it) whose
  // widest frame is not already full width, and check it fills the width.
  const target = await page.evaluate(() => {
    const groups = [...document.querySelectorAll("#frames > g")];
    const ys = [...new Set(groups.map((g) => Number(g.querySelector("rect").getAttribute("y"))))].sort((a, b) => a - b);
    const inverted = document.querySelector("svg").getAttribute("onload") && window.inverted;
    const levels = inverted ? ys.slice(2) : ys.slice(0, ys.length - 2).reverse();
    const w = (g) => Number(g.querySelector("rect").getAttribute("fg:w"));
    const widest = (level) => {
      const row = groups.filter((g) => Number(g.querySelector("rect").getAttribute("y")) === level);
      row.sort((a, b) => w(b) - w(a));
      return row[0];
    };
    const full = (g) => parseFloat(g.querySelector("rect").getAttribute("width")) >= 99.9;
    const g = levels.map(widest).find((g) => !full(g)) || widest(levels[0]);
    const i = groups.indexOf(g);
    return { index: i, width: g.querySelector("rect").getAttribute("width"), title: g.querySelector("title").textContent };
  });
  await page.locator("#frames > g").nth(target.index).click();
  const zoomed = await page.evaluate((i) => {
    const g = document.querySelectorAll("#frames > g")[i];
    return {
      width: g.querySelector("rect").getAttribute("width"),
      unzoomHidden: document.getElementById("unzoom").classList.contains("hide"),
    };
  }, target.index);
  check(!zoomed.unzoomHidden && parseFloat(zoomed.width) > 99.9 && parseFloat(target.width) < 99.9,
    `${name}: clicking "${target.title}" zooms it from ${target.width} to ${zoomed.width}`);

  const shot = file.replace(/\.svg$/, ".png");
  await page.screenshot({ path: shot, timeout: 60000 });
  check(errors.length === 0, `${name}: no script errors ${errors.join("; ")}`);
  console.log(`screenshot ${path.basename(shot)}`);
  await page.close();
}
await browser.close();
process.exit(failures ? 1 : 0);
