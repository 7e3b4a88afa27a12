// The product catalog: 500 products, priced deterministically (a real service would read a DB).
export interface Product {
  id: number;
  name: string;
  priceCents: number;
}

const PRODUCTS = new Map<number, Product>(
  Array.from({ length: 500 }, (_, i) => {
    const id = i + 1;
    return [id, { id, name: `Product ${id}`, priceCents: 199 + ((id * 7919) % 20_000) }];
  }),
);

export function findProduct(id: number): Product | undefined {
  return PRODUCTS.get(id);
}
