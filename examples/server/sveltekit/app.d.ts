// src/app.d.ts: what the hook puts in event.locals.
import type { Session } from 'authcode/server'

declare global {
  namespace App {
    interface Locals {
      session: Session | null
    }
  }
}

export {}
