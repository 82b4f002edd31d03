// Statement reuse of the shipped SQL adapters, against the real drivers:
// better-sqlite3 prepares each SQL text once; node-postgres runs statements
// with parameters as named prepared statements, parsed once per connection.
import { betterSqlite3ToSqlAdapter, pgToSqlAdapter } from '@tangle-network/agent-runtime-core'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { connectPgClient, dropTables, uniqueTablePrefix } from '../../../../test/support/pg.js'

describe('betterSqlite3ToSqlAdapter', () => {
  it('prepares each SQL text once and reuses it', async () => {
    const db = new Database(':memory:')
    let prepares = 0
    const counting = {
      prepare(sql: string) {
        prepares++
        return db.prepare(sql)
      },
    }
    const sql = betterSqlite3ToSqlAdapter(counting)
    await sql.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')
    for (let i = 0; i < 50; i++) await sql.exec('INSERT INTO t (id, v) VALUES (?, ?)', [i, `v${i}`])
    for (let i = 0; i < 20; i++) expect(await sql.query('SELECT v FROM t WHERE id = ?', [i])).toEqual([{ v: `v${i}` }])
    expect(await sql.exec('UPDATE t SET v = ? WHERE id < ?', ['x', 10])).toEqual({ rowsAffected: 10, changes: 10 })
    expect(prepares).toBe(4)
    db.close()
  })

  it('keeps working when more distinct statements are used than it caches', async () => {
    const db = new Database(':memory:')
    const sql = betterSqlite3ToSqlAdapter(db)
    await sql.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)')
    for (let i = 0; i < 600; i++) await sql.exec(`INSERT INTO t (id) VALUES (${i})`)
    expect(await sql.query('SELECT count(*) AS n FROM t')).toEqual([{ n: 600 }])
    db.close()
  })
})

describe('pgToSqlAdapter', () => {
  const table = `${uniqueTablePrefix('stmts')}_t`
  const clients: Awaited<ReturnType<typeof connectPgClient>>[] = []
  afterAll(async () => {
    if (clients[0]) await dropTables(clients[0], table)
    for (const c of clients) await c.end()
  })

  it('runs parameterised statements as named prepared statements, prepared once per connection', async () => {
    const client = await connectPgClient()
    clients.push(client)
    const sql = pgToSqlAdapter(client)
    await sql.exec(`CREATE TABLE ${table} (id INTEGER PRIMARY KEY, v TEXT)`)
    for (let i = 0; i < 30; i++) await sql.exec(`INSERT INTO ${table} (id, v) VALUES (?, ?)`, [i, `v${i}`])
    expect(await sql.query(`SELECT v FROM ${table} WHERE id = ?`, [7])).toEqual([{ v: 'v7' }])
    expect(await sql.query(`SELECT v FROM ${table} WHERE id = ?`, [8])).toEqual([{ v: 'v8' }])
    const prepared = (await client.query('SELECT name, statement FROM pg_prepared_statements ORDER BY statement')).rows as { name: string; statement: string }[]
    const ours = prepared.filter((p) => p.statement.includes(table))
    // One server-side statement per distinct text (the insert and the select), none for the DDL.
    expect(ours.map((p) => p.statement)).toEqual([`INSERT INTO ${table} (id, v) VALUES ($1, $2)`, `SELECT v FROM ${table} WHERE id = $1`])
    expect(new Set(ours.map((p) => p.name)).size).toBe(2)
  })

  it('two adapters over one connection agree on statement names', async () => {
    const client = await connectPgClient()
    clients.push(client)
    const a = pgToSqlAdapter(client)
    const b = pgToSqlAdapter(client)
    expect(await a.query(`SELECT v FROM ${table} WHERE id = ?`, [1])).toEqual([{ v: 'v1' }])
    // A different name for the same text, or the same name for another text, would make pg throw here.
    expect(await b.query(`SELECT v FROM ${table} WHERE id = ?`, [2])).toEqual([{ v: 'v2' }])
    expect(await b.query(`SELECT id FROM ${table} WHERE v = ?`, ['v3'])).toEqual([{ id: 3 }])
    const names = (await client.query(`SELECT name FROM pg_prepared_statements WHERE statement LIKE '%${table}%'`)).rows
    expect(names).toHaveLength(2)
  })
})
