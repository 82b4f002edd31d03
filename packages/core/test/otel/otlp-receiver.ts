/**
 * A loopback OTLP/HTTP trace receiver for tests. It accepts the real requests
 * an OTLP exporter sends, as a collector does: `application/json` bodies are
 * checked against the OTLP/JSON mapping of `ExportTraceServiceRequest`, and
 * `application/x-protobuf` bodies are decoded from the wire format. It
 * answers like a collector and flattens spans for assertions.
 */
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type DecodedTraceRequest, decodeOtlpProtobufTraceRequest } from './otlp-protobuf-decode.js'
import { z } from 'zod'

const hex = (len: number) => z.string().regex(new RegExp(`^[0-9a-f]{${len}}$`), `expected ${len} lowercase hex chars`)
const uint64 = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()])

type AnyValue = {
  stringValue?: string
  boolValue?: boolean
  intValue?: string | number
  doubleValue?: number
  arrayValue?: { values: AnyValue[] }
  kvlistValue?: { values: { key: string; value: AnyValue }[] }
  bytesValue?: string
}
const anyValue: z.ZodType<AnyValue> = z.lazy(() =>
  z
    .object({
      stringValue: z.string().optional(),
      boolValue: z.boolean().optional(),
      intValue: z.union([z.string().regex(/^-?\d+$/), z.number().int()]).optional(),
      doubleValue: z.number().optional(),
      arrayValue: z.object({ values: z.array(anyValue) }).optional(),
      kvlistValue: z.object({ values: z.array(z.object({ key: z.string(), value: anyValue })) }).optional(),
      bytesValue: z.string().optional(),
    })
    .strict()
    .refine((v) => Object.keys(v).length === 1, 'an AnyValue holds exactly one value'),
)
const keyValue = z.object({ key: z.string().min(1), value: anyValue })

const span = z.object({
  traceId: hex(32),
  spanId: hex(16),
  parentSpanId: z.union([hex(16), z.literal('')]).optional(),
  traceState: z.string().nullable().optional(),
  name: z.string().min(1),
  kind: z.number().int().min(0).max(5),
  startTimeUnixNano: uint64,
  endTimeUnixNano: uint64,
  attributes: z.array(keyValue),
  droppedAttributesCount: z.number().int().nonnegative(),
  events: z.array(z.unknown()),
  droppedEventsCount: z.number().int().nonnegative(),
  links: z.array(z.unknown()),
  droppedLinksCount: z.number().int().nonnegative(),
  status: z.object({ code: z.number().int().min(0).max(2).optional(), message: z.string().optional() }),
  flags: z.number().int().optional(),
})

const exportTraceServiceRequest = z.object({
  resourceSpans: z.array(
    z.object({
      resource: z.object({ attributes: z.array(keyValue), droppedAttributesCount: z.number().int() }).optional(),
      scopeSpans: z.array(
        z.object({
          scope: z.object({ name: z.string(), version: z.string().optional() }).optional(),
          spans: z.array(span).optional(),
          schemaUrl: z.string().nullable().optional(),
        }),
      ),
      schemaUrl: z.string().optional(),
    }),
  ),
})


/** Decodes an OTLP/JSON `ExportTraceServiceRequest` body; throws when it does not follow the mapping. */
export function decodeOtlpJsonTraceRequest(body: string): DecodedTraceRequest {
  return exportTraceServiceRequest.parse(JSON.parse(body)) as DecodedTraceRequest
}

function plain(value: AnyValue): string | number | boolean {
  if (value.stringValue !== undefined) return value.stringValue
  if (value.intValue !== undefined) return Number(value.intValue)
  if (value.doubleValue !== undefined) return value.doubleValue
  if (value.boolValue !== undefined) return value.boolValue
  return JSON.stringify(value)
}

/** A span as the receiver saw it. */
export interface ReceivedSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  startNs: bigint
  endNs: bigint
  attributes: Record<string, string | number | boolean>
  status: { code?: number; message?: string }
  resource: Record<string, string | number | boolean>
  scope?: { name: string; version?: string }
}

/** One POST the receiver got. */
export interface ReceivedRequest {
  path: string
  headers: IncomingHttpHeaders
  /** `json` or `protobuf`, from the request's content type. */
  encoding: 'json' | 'protobuf'
  body: DecodedTraceRequest
}

export interface OtlpReceiver {
  /** Base endpoint (give it to exporters as `endpoint`). */
  endpoint: string
  requests: ReceivedRequest[]
  /** Bodies that failed decoding, with the error. */
  rejected: string[]
  spans(): ReceivedSpan[]
  /** Resolves once at least `count` spans arrived. */
  waitForSpans(count: number, timeoutMs?: number): Promise<ReceivedSpan[]>
  close(): Promise<void>
}

/** Starts a receiver on 127.0.0.1 with an ephemeral port. */
export async function startOtlpReceiver(options: { status?: number } = {}): Promise<OtlpReceiver> {
  const requests: ReceivedRequest[] = []
  const rejected: string[] = []
  const waiters: (() => void)[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const raw = Buffer.concat(chunks)
      const type = String(req.headers['content-type'])
      const encoding = type.startsWith('application/json') ? 'json' : type.startsWith('application/x-protobuf') ? 'protobuf' : undefined
      if (req.method !== 'POST' || !encoding) {
        rejected.push(`unexpected ${req.method} ${req.headers['content-type']}`)
        res.writeHead(415).end()
        return
      }
      try {
        const body = encoding === 'json' ? decodeOtlpJsonTraceRequest(raw.toString('utf8')) : decodeOtlpProtobufTraceRequest(new Uint8Array(raw))
        requests.push({ path: req.url ?? '', headers: req.headers, encoding, body })
      } catch (err) {
        rejected.push(String(err))
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"code":3,"message":"bad request"}')
        return
      }
      for (const w of waiters.splice(0)) w()
      // A collector answers in the request's encoding; an empty ExportTraceServiceResponse is zero bytes in protobuf.
      if (encoding === 'protobuf') res.writeHead(options.status ?? 200, { 'content-type': 'application/x-protobuf' }).end()
      else res.writeHead(options.status ?? 200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  const spans = (): ReceivedSpan[] =>
    requests.flatMap((r) =>
      (r.body.resourceSpans ?? []).flatMap((rs) => {
        const resource = Object.fromEntries((rs.resource?.attributes ?? []).map((a) => [a.key, plain(a.value as AnyValue)]))
        return rs.scopeSpans.flatMap((ss) =>
          (ss.spans ?? []).map(
            (s): ReceivedSpan => ({
              traceId: String(s.traceId),
              spanId: String(s.spanId),
              parentSpanId: s.parentSpanId ? String(s.parentSpanId) : undefined,
              name: s.name,
              kind: s.kind,
              startNs: BigInt(s.startTimeUnixNano as string),
              endNs: BigInt(s.endTimeUnixNano as string),
              attributes: Object.fromEntries(s.attributes.map((a) => [a.key, plain(a.value as AnyValue)])),
              status: { code: s.status.code, message: s.status.message },
              resource,
              scope: ss.scope ? { name: ss.scope.name, version: ss.scope.version } : undefined,
            }),
          ),
        )
      }),
    )

  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    rejected,
    spans,
    async waitForSpans(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs
      while (spans().length < count) {
        const left = deadline - Date.now()
        if (left <= 0) throw new Error(`receiver got ${spans().length} spans, expected ${count}`)
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left)
          waiters.push(() => {
            clearTimeout(t)
            resolve()
          })
        })
      }
      return spans()
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.()
        server.close(() => resolve())
      }),
  }
}
