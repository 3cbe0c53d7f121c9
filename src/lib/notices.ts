// Security notices mailed to a user. They are built when the event happens,
// in the user's language, with links from PUBLIC_URL.
import type { Config } from '../config.ts'
import { isLanguage, translator } from './i18n.ts'
import type { MailMessage } from './mail.ts'

export interface Recipient { email: string, fullName: string, language: string }

export function passwordChangedNotice (config: Pick<Config, 'appName' | 'linkBase'>, to: Recipient, at: Date, ip: string): MailMessage {
  const t = translator(isLanguage(to.language) ? to.language : 'en')
  return {
    to: to.email,
    subject: t('mail.passwordChanged.subject'),
    text: t('mail.passwordChanged.body', {
      name: to.fullName,
      email: to.email,
      app: config.appName,
      time: at.toISOString().slice(0, 16).replace('T', ' '),
      ip,
      link: `${config.linkBase}password/forgot`
    })
  }
}
