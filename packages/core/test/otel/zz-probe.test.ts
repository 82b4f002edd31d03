import { it, expect } from 'vitest'
import * as m from '@opentelemetry/otlp-transformer'
it('x', () => { expect(Object.keys(m).length).toBeGreaterThan(0) })
