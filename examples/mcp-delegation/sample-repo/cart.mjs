// Shopping-cart helpers of the coder-loop demo's sample repository.

/** Total price of the cart, in cents. */
export function total(items) {
  return items.reduce((sum, item) => sum + item.price, 0)
}

/** Number of items in the cart. */
export function count(items) {
  return items.reduce((n, item) => n + item.quantity, 0)
}
