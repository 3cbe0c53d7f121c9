// The folder that holds the files shipped beside the code (views/, public/,
// src/lib/common-passwords.txt): the repository root, or /app in the Docker image. This module runs
// as source (src/lib/app-root.ts, under tsx) or compiled
// (dist/src/lib/app-root.js), one level deeper.
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const compiled = import.meta.url.endsWith('.js')

export const appRoot = compiled ? path.join(here, '..', '..', '..') : path.join(here, '..', '..')
