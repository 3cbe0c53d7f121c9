// A stand-in for the Telegram Bot API on loopback: records every sendMessage
// call and answers as the test says (ok, or an error with its description
// and parameters.retry_after), so that 403 "bot was blocked" and 429 can be played.
import http from 'node:http'
import { listenOn } from './listen.ts'

export interface SentMessage { token: string, chatId: string, text: string }
export interface BotAnswer { status: number, description?: string, retryAfter?: number }

export class TestBotApi {
  readonly sent: SentMessage[] = []
  /** Calls answered with an error (not recorded in `sent`). */
  readonly refused: SentMessage[] = []
  /** The answer to the next calls, per chat; unset: ok. */
  readonly answers = new Map<string, BotAnswer>()
  private server: http.Server | undefined
  port = 0

  get url (): string { return `http://127.0.0.1:${this.port}` }

  async start (): Promise<void> {
    this.server = http.createServer((req, res) => {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (chunk: string) => { body += chunk })
      req.on('end', () => {
        const m = /^\/bot([^/]+)\/sendMessage$/.exec(req.url ?? '')
        let msg: { chat_id?: unknown, text?: unknown }
        try { msg = JSON.parse(body) } catch { msg = {} }
        if (m === null || req.method !== 'POST' || typeof msg.text !== 'string') {
          res.writeHead(404, { 'content-type': 'application/json' }).end('{"ok":false,"error_code":404,"description":"Not Found"}')
          return
        }
        const call = { token: m[1]!, chatId: String(msg.chat_id), text: msg.text }
        const answer = this.answers.get(call.chatId)
        if (answer !== undefined) {
          this.refused.push(call)
          const parameters = answer.retryAfter === undefined ? undefined : { retry_after: answer.retryAfter }
          res.writeHead(answer.status, { 'content-type': 'application/json' })
            .end(JSON.stringify({ ok: false, error_code: answer.status, description: answer.description ?? 'Error', parameters }))
          return
        }
        this.sent.push(call)
        res.writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ ok: true, result: { message_id: this.sent.length, chat: { id: Number(call.chatId), type: 'private' }, date: 0, text: call.text } }))
      })
    })
    await listenOn(this.server, this.port)
    this.port = (this.server.address() as { port: number }).port
  }

  async stop (): Promise<void> {
    const s = this.server
    this.server = undefined
    if (s !== undefined) {
      s.closeAllConnections()
      await new Promise<void>((resolve) => s.close(() => resolve()))
    }
  }

  /** The nth message sent to the chat (waiting up to timeoutMs). */
  async waitFor (chatId: string | number, nth = 1, timeoutMs = 60_000): Promise<SentMessage> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.sent.filter((m) => m.chatId === String(chatId))
      if (found.length >= nth) return found[nth - 1]!
      if (Date.now() > deadline) throw new Error(`no message #${nth} to chat ${chatId} within ${timeoutMs} ms; sent: ${JSON.stringify(this.sent)}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}

let updateId = 1000
/** A Telegram Update (https://core.telegram.org/bots/api#update) with a text message from a person in a private chat. */
export function textUpdate (chatId: number, text: string, from: { username?: string, language_code?: string } = {}): Record<string, unknown> {
  const command = /^\/\w+/.exec(text)
  return {
    update_id: ++updateId,
    message: {
      message_id: updateId,
      from: { id: chatId, is_bot: false, first_name: 'Test', ...(from.username === undefined ? {} : { username: from.username }), language_code: from.language_code ?? 'en' },
      chat: { id: chatId, first_name: 'Test', ...(from.username === undefined ? {} : { username: from.username }), type: 'private' },
      date: Math.floor(Date.now() / 1000),
      text,
      ...(command === null ? {} : { entities: [{ type: 'bot_command', offset: 0, length: command[0].length }] })
    }
  }
}
