// policy:publish (SPEC §6): the flags to publishPolicy and its result to
// JSON, or a message that names the flag at fault (exit 1).
import { readFile } from 'node:fs/promises'
import type { Command, CommandOutcome, CommandValues } from '../../../lib/commands.ts'
import { DOCUMENTS } from './documents.ts'
import { type PublishFailure, publishPolicy, TEXT_MAX } from './publish.ts'

const keys = DOCUMENTS.map((d) => d.key).join(', ')

function failureText (f: PublishFailure, v: CommandValues): string {
  switch (f.reason) {
    case 'unknown_document': return `--document: "${v.document ?? ''}" is not a document; use one of ${keys}`
    case 'invalid_version': return `--version: "${v.version ?? ''}" is not a whole number above 0`
    case 'version_not_higher': return `--version: ${v.version ?? ''} is not higher than ${f.highest}, the highest published version of ${v.document ?? ''}`
    case 'invalid_date': return `--effective-at: "${v['effective-at'] ?? ''}" is not a date and time with its zone, such as 2026-12-01T00:00:00Z`
    case 'no_content': return '--url or --text-en-file and --text-ru-file is required'
    case 'url_and_text': return '--url and --text-en-file/--text-ru-file cannot be used together: give a URL or the texts'
    case 'invalid_url': return `--url: "${v.url ?? ''}" is not an http or https address`
    case 'invalid_text': return `--text-${f.language}-file: the text is empty, longer than ${TEXT_MAX} characters or holds control characters`
    case 'invalid_changes': return `--changes-${f.language}: give what changed in both languages (--changes-en and --changes-ru), on no more than 5000 characters`
  }
}

/** A text file's content, or the message naming its flag. */
async function readText (flag: string, file: string | undefined): Promise<{ text?: string, error?: string }> {
  if (file === undefined) return {}
  if (file === '') return { error: `--${flag}: give a file name` }
  try {
    return { text: await readFile(file, 'utf8') }
  } catch (err) {
    return { error: `--${flag}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})` }
  }
}

export const publishCommand: Command = {
  name: 'policy:publish',
  usage: '--document KEY --version N --effective-at ISO (--url URL | --text-en-file FILE --text-ru-file FILE) [--changes-en TEXT --changes-ru TEXT]',
  options: ['document', 'version', 'effective-at', 'url', 'text-en-file', 'text-ru-file', 'changes-en', 'changes-ru'],
  required: ['document', 'version', 'effective-at'],
  run: async (deps, v): Promise<CommandOutcome> => {
    const texting = v['text-en-file'] !== undefined || v['text-ru-file'] !== undefined
    if (v.url !== undefined && texting) return { ok: false, error: failureText({ ok: false, reason: 'url_and_text' }, v) }
    if (texting) {
      for (const flag of ['text-en-file', 'text-ru-file']) {
        if (v[flag] === undefined) return { ok: false, error: `--${flag} is required with --${flag === 'text-en-file' ? 'text-ru-file' : 'text-en-file'}` }
      }
    }
    const en = await readText('text-en-file', v['text-en-file'])
    if (en.error !== undefined) return { ok: false, error: en.error }
    const ru = await readText('text-ru-file', v['text-ru-file'])
    if (ru.error !== undefined) return { ok: false, error: ru.error }
    const result = await publishPolicy(deps, {
      document: v.document ?? '',
      version: v.version ?? '',
      effectiveAt: v['effective-at'] ?? '',
      url: v.url,
      textEn: en.text,
      textRu: ru.text,
      changesEn: v['changes-en'],
      changesRu: v['changes-ru']
    })
    if (!result.ok) return { ok: false, error: failureText(result, v) }
    return { ok: true, out: { document: result.document, version: result.version, effectiveAt: result.effectiveAt.toISOString(), required: result.required } }
  }
}
