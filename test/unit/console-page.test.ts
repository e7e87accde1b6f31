import test from "ava";
import { Script } from "node:vm";
import { CONSOLE_PAGE } from "../../provider/api/console-page";

// The page's script is a string inside a TypeScript template: an escape written once too few times
// ("\n" where the page needs "\\n") is a syntax error only the browser sees, and the whole console
// stays on "loading". Compiled here (not run), it fails without a browser.

test("the console page's script compiles", (t) => {
  const scripts = [...CONSOLE_PAGE.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => match[1]);
  t.is(scripts.length, 1);
  t.notThrows(() => new Script(scripts[0], { filename: "console-page.js" }));
});
