/**
 * Decodes an OTLP/protobuf `ExportTraceServiceRequest` body, as a collector
 * receives it, into the same shape as the OTLP/JSON mapping. Written against
 * the protobuf wire format and opentelemetry-proto's trace.proto field
 * numbers, independently of the OpenTelemetry JS encoder it checks.
 */

/** OTLP/JSON-shaped values, so the receiver treats both encodings alike. */
export interface DecodedAnyValue {
  stringValue?: string
  boolValue?: boolean
  intValue?: string
  doubleValue?: number
  bytesValue?: string
  arrayValue?: { values: DecodedAnyValue[] }
  kvlistValue?: { values: DecodedKeyValue[] }
}
export interface DecodedKeyValue {
  key: string
  value: DecodedAnyValue
}
export interface DecodedSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  startTimeUnixNano: string
  endTimeUnixNano: string
  attributes: DecodedKeyValue[]
  status: { code?: number; message?: string }
}
export interface DecodedTraceRequest {
  resourceSpans: {
    resource?: { attributes: DecodedKeyValue[] }
    scopeSpans: { scope?: { name: string; version?: string }; spans: DecodedSpan[] }[]
  }[]
}

/** A cursor over protobuf wire bytes. */
class Wire {
  pos = 0
  constructor(readonly buf: Uint8Array) {}
  get done(): boolean {
    return this.pos >= this.buf.length
  }
  varint(): bigint {
    let result = 0n
    let shift = 0n
    while (true) {
      if (this.pos >= this.buf.length) throw new Error('protobuf: truncated varint')
      const b = this.buf[this.pos++]
      result |= BigInt(b & 0x7f) << shift
      if ((b & 0x80) === 0) return result
      shift += 7n
      if (shift > 63n) throw new Error('protobuf: varint longer than 10 bytes')
    }
  }
  tag(): { field: number; type: number } {
    const t = Number(this.varint())
    return { field: t >>> 3, type: t & 7 }
  }
  bytes(): Uint8Array {
    const len = Number(this.varint())
    if (this.pos + len > this.buf.length) throw new Error('protobuf: length-delimited field runs past the end')
    const out = this.buf.subarray(this.pos, this.pos + len)
    this.pos += len
    return out
  }
  fixed64(): DataView {
    if (this.pos + 8 > this.buf.length) throw new Error('protobuf: truncated fixed64')
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8)
    this.pos += 8
    return view
  }
  skip(type: number): void {
    if (type === 0) this.varint()
    else if (type === 1) this.pos += 8
    else if (type === 2) this.bytes()
    else if (type === 5) this.pos += 4
    else throw new Error(`protobuf: unsupported wire type ${type}`)
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true })
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

function each(buf: Uint8Array, onField: (w: Wire, field: number, type: number) => boolean): void {
  const w = new Wire(buf)
  while (!w.done) {
    const { field, type } = w.tag()
    if (!onField(w, field, type)) w.skip(type)
  }
}

/** Every occurrence of length-delimited field `field` in `buf`, decoded. */
function repeated<T>(buf: Uint8Array, field: number, decode: (b: Uint8Array) => T): T[] {
  const out: T[] = []
  each(buf, (w, f, t) => {
    if (f !== field || t !== 2) return false
    out.push(decode(w.bytes()))
    return true
  })
  return out
}

function anyValue(buf: Uint8Array): DecodedAnyValue {
  const v: DecodedAnyValue = {}
  each(buf, (w, field, type) => {
    if (field === 1 && type === 2) v.stringValue = utf8.decode(w.bytes())
    else if (field === 2 && type === 0) v.boolValue = w.varint() !== 0n
    else if (field === 3 && type === 0) v.intValue = BigInt.asIntN(64, w.varint()).toString()
    else if (field === 4 && type === 1) v.doubleValue = w.fixed64().getFloat64(0, true)
    else if (field === 5 && type === 2) {
      v.arrayValue = { values: repeated(w.bytes(), 1, anyValue) }
    } else if (field === 6 && type === 2) {
      v.kvlistValue = { values: repeated(w.bytes(), 1, keyValue) }
    } else if (field === 7 && type === 2) v.bytesValue = hex(w.bytes())
    else return false
    return true
  })
  return v
}

function keyValue(buf: Uint8Array): DecodedKeyValue {
  const kv: DecodedKeyValue = { key: '', value: {} }
  each(buf, (w, field, type) => {
    if (field === 1 && type === 2) kv.key = utf8.decode(w.bytes())
    else if (field === 2 && type === 2) kv.value = anyValue(w.bytes())
    else return false
    return true
  })
  return kv
}

function span(buf: Uint8Array): DecodedSpan {
  const s: DecodedSpan = { traceId: '', spanId: '', name: '', kind: 0, startTimeUnixNano: '0', endTimeUnixNano: '0', attributes: [], status: {} }
  each(buf, (w, field, type) => {
    if (field === 1 && type === 2) s.traceId = hex(w.bytes())
    else if (field === 2 && type === 2) s.spanId = hex(w.bytes())
    else if (field === 4 && type === 2) {
      const parent = w.bytes()
      if (parent.length > 0) s.parentSpanId = hex(parent)
    } else if (field === 5 && type === 2) s.name = utf8.decode(w.bytes())
    else if (field === 6 && type === 0) s.kind = Number(w.varint())
    else if (field === 7 && type === 1) s.startTimeUnixNano = w.fixed64().getBigUint64(0, true).toString()
    else if (field === 8 && type === 1) s.endTimeUnixNano = w.fixed64().getBigUint64(0, true).toString()
    else if (field === 9 && type === 2) s.attributes.push(keyValue(w.bytes()))
    else if (field === 15 && type === 2) {
      each(w.bytes(), (st, f, t) => {
        if (f === 2 && t === 2) s.status.message = utf8.decode(st.bytes())
        else if (f === 3 && t === 0) s.status.code = Number(st.varint())
        else return false
        return true
      })
    } else return false
    return true
  })
  return s
}

/**
 * Decodes `ExportTraceServiceRequest` bytes: resource_spans(1) → resource(1)
 * and scope_spans(2) → scope(1) and spans(2). Throws on malformed input.
 */
export function decodeOtlpProtobufTraceRequest(body: Uint8Array): DecodedTraceRequest {
  const request: DecodedTraceRequest = { resourceSpans: [] }
  each(body, (w, field, type) => {
    if (field !== 1 || type !== 2) return false
    const rs: DecodedTraceRequest['resourceSpans'][number] = { scopeSpans: [] }
    each(w.bytes(), (r, f, t) => {
      if (f === 1 && t === 2) {
        rs.resource = { attributes: repeated(r.bytes(), 1, keyValue) }
      } else if (f === 2 && t === 2) {
        const ss: DecodedTraceRequest['resourceSpans'][number]['scopeSpans'][number] = { spans: [] }
        each(r.bytes(), (s, sf, st) => {
          if (sf === 1 && st === 2) {
            const scope: { name: string; version?: string } = { name: '' }
            each(s.bytes(), (sc, cf, ct) => {
              if (cf === 1 && ct === 2) scope.name = utf8.decode(sc.bytes())
              else if (cf === 2 && ct === 2) scope.version = utf8.decode(sc.bytes())
              else return false
              return true
            })
            ss.scope = scope
          } else if (sf === 2 && st === 2) ss.spans.push(span(s.bytes()))
          else return false
          return true
        })
        rs.scopeSpans.push(ss)
      } else return false
      return true
    })
    request.resourceSpans.push(rs)
    return true
  })
  return request
}
