// The sample repository's test: plain Node, no dependencies. Exit code 1 on a failure.
import { count, total } from './cart.mjs'

const cart = [
  { name: 'apple', price: 50, quantity: 3 },
  { name: 'bread', price: 250, quantity: 1 },
]

const checks = [
  ['count counts every unit', count(cart), 4],
  ['total multiplies price by quantity', total(cart), 400],
  ['total of an empty cart is 0', total([]), 0],
]

let failed = 0
for (const [name, got, want] of checks) {
  if (got === want) {
    console.log(`ok - ${name}`)
  } else {
    failed++
    console.log(`FAIL - ${name}: expected ${want}, got ${got}`)
  }
}
process.exitCode = failed === 0 ? 0 : 1
