// What a feature brings, declared in one place: src/features/<name>/index.ts.
// app.ts loops over the list in src/features/index.ts; nothing else needs to
// know a feature exists. Other features import only a feature's entry.
import type { FastifyPluginAsync } from 'fastify'
import type { Config } from '../config.ts'
import type { Command } from './commands.ts'
import type { EventSentences } from './events.ts'
import type { CurrentUser } from './current-user.ts'
import type { MessageKey } from './i18n.ts'
import type { PersonalData } from './personal-data.ts'
import type { QueueDefinitions } from './jobs.ts'
import type { Guard } from '../plugins/guards.ts'
import type { Deps, NavItem } from '../types.ts'

/** A block of the User settings page (/client/settings) linking to the feature's own page. */
export interface SettingsBlock {
  /** Where the block stands on the page: lower first. */
  order: number
  title: MessageKey
  /** What the block is for; a function when it depends on the state or the configuration (a block the provider has not set up says so). */
  about: MessageKey | ((user: CurrentUser, config: Config) => MessageKey)
  /** Under BASE_PATH, without the leading slash. */
  path: string
  /** On/off badge, when the block has a state (undefined: no badge). */
  status?: (user: CurrentUser, config: Config) => boolean | undefined
  /** The link's label: button.open unless given; a function of the state when it has one. */
  action?: (user: CurrentUser, config: Config) => MessageKey
}

/**
 * A feature's routes, loaded when the app registers them: the provider CLI
 * loads every feature (for its commands and queues) and so never loads the
 * code of the pages, which was about a third of a CLI call's start.
 */
export function lazyRoutes (...loads: Array<() => Promise<{ default: FastifyPluginAsync }>>): FastifyPluginAsync {
  return async (app) => {
    for (const load of loads) await app.register((await load()).default)
  }
}

export interface Feature {
  name: string
  /** Routes, registered under BASE_PATH (lazyRoutes: loaded when registered). Each declares its access (config.access). */
  routes?: FastifyPluginAsync
  /**
   * Its routes answer machines, not browsers (the provider API, health
   * checks): they are registered in the machines' scope (app.ts), where no
   * session, language, CSRF or guard hook runs, so a browser's cookies mean
   * nothing there. They may only be 'public' or 'provider' (which
   * authenticates itself) and of kind 'api': anything else stops the app.
   */
  sessionless?: true
  /** Queues the feature works, with their retry policy and schedule. */
  jobs?: (deps: Deps) => QueueDefinitions
  /** Operations its routes re-confirm, with what the prompt calls them ({target} is filled in): a route that re-confirms an undeclared one stops the app. */
  operations?: Record<string, MessageKey>
  /** Checks every request passes after signed-in and permission (plugins/guards.ts), in the list's order. */
  guards?: readonly Guard[]
  /** Event types it records, with their sentences for the activity log. */
  events?: EventSentences
  /** Menu entries. */
  nav?: readonly NavItem[]
  /** Blocks on the User settings page. */
  settings?: readonly SettingsBlock[]
  /** Provider CLI commands (src/cli.ts). */
  commands?: readonly Command[]
  /** What it stores about a user: its sections of the personal-data export, and what a completed deletion erases. */
  personalData?: PersonalData
}
