import { chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromiumArgs, chromiumPath, launchExample } from '../launch.js'

describe('chat-handler in headless Chromium', () => {
  let server: Awaited<ReturnType<typeof launchExample>>
  let browser: Awaited<ReturnType<typeof chromium.launch>>
  beforeAll(async () => {
    // Slow enough that the page is visibly mid-stream for a while.
    server = await launchExample({ CHAT_TOKEN_DELAY_MS: '80' })
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs })
  })
  afterAll(async () => {
    await browser?.close()
    server?.stop()
  })

  it('renders tokens as they stream, shows the persisted turn after a reload, and replays a retry without a second produce', async () => {
    const page = await browser.newPage()
    await page.goto(`${server.url}/?session=e2e-browser`)
    await page.waitForSelector('body[data-ready="true"]')
    await page.fill('#message', 'hello browser')
    await page.click('#send')

    // Part of the answer is on screen while the turn is still streaming.
    const partial = await (
      await page.waitForFunction(() => {
        const a = document.querySelector<HTMLElement>('.msg.assistant')
        return a && a.dataset.state === 'streaming' && (a.textContent ?? '').length > 0 ? a.textContent : null
      })
    ).jsonValue()
    await page.waitForSelector('.msg.assistant[data-state="done"]')
    const answer = (await page.textContent('.msg.assistant')) ?? ''
    expect(answer).toBe('You said "hello browser". This answer streams word by word from a scripted backend, so you can watch NDJSON render as it arrives.')
    expect(answer.startsWith(partial!)).toBe(true)
    expect(partial!.length).toBeLessThan(answer.length)

    await page.reload()
    await page.waitForSelector('body[data-ready="true"]')
    const transcript = () =>
      page.$$eval('.msg', (els) => els.map((el) => ({ role: (el as HTMLElement).dataset.role, text: el.firstChild?.textContent ?? '', replayed: (el as HTMLElement).dataset.replayed === 'true' })))
    expect(await transcript()).toEqual([
      { role: 'user', text: 'hello browser', replayed: false },
      { role: 'assistant', text: answer, replayed: false },
    ])

    await page.click('#retry')
    await page.waitForSelector('.msg.assistant[data-replayed="true"]')
    expect((await transcript()).at(-1)).toEqual({ role: 'assistant', text: answer, replayed: true })
    expect(await (await fetch(`${server.url}/stats`)).json()).toEqual({ produceCalls: 1, persistCalls: 1 })
    await page.close()
  }, 60_000)
})
