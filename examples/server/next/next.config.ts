// next.config.ts: lib/auth.ts imports ../../env.ts, shared by every example and outside this app; externalDir compiles it.
import type { NextConfig } from 'next'

const config: NextConfig = { experimental: { externalDir: true } }

export default config
