/**
 * Regenerates screenshot.png for the README: two streamed turns and a
 * replayed retry of the last one.
 *   node --conditions=source --import tsx examples/chat-handler/screenshot.ts
 */
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { chromiumArgs, chromiumPath, launchExample } from './launch.js'

const server = await launchExample({ CHAT_TOKEN_DELAY_MS: '15' })
const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs })
try {
  const page = await browser.newPage({ viewport: { width: 760, height: 620 }, deviceScaleFactor: 1 })
  await page.goto(`${server.url}/?session=screenshot`)
  await page.waitForSelector('body[data-ready="true"]')
  for (const [i, message] of ['What does handleChatTurn do?', 'And if my request is retried?'].entries()) {
    await page.fill('#message', message)
    await page.click('#send')
    await page.waitForSelector(`.msg.assistant:nth-of-type(${2 * (i + 1)})[data-state="done"]`)
  }
  await page.click('#retry')
  await page.waitForSelector('.msg.assistant[data-replayed="true"]')
  const file = fileURLToPath(new URL('./screenshot.png', import.meta.url))
  await page.screenshot({ path: file })
  console.log(`wrote ${file}`)
} finally {
  await browser.close()
  server.stop()
}
