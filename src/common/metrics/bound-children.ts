/**
 * prom-client children bound to label values, cached by those values in nested maps: after the
 * first observation of a combination, recording one allocates nothing (no label object, no hash
 * string), which keeps the per-request cost to the observation itself.
 */
export class BoundChildren<K1, K2, K3, K4, C> {
  private readonly root = new Map<K1, Map<K2, Map<K3, Map<K4, C>>>>();

  constructor(private readonly create: (k1: K1, k2: K2, k3: K3, k4: K4) => C) {}

  get(k1: K1, k2: K2, k3: K3, k4: K4): C {
    let level2 = this.root.get(k1);
    if (level2 === undefined) this.root.set(k1, (level2 = new Map<K2, Map<K3, Map<K4, C>>>()));
    let level3 = level2.get(k2);
    if (level3 === undefined) level2.set(k2, (level3 = new Map<K3, Map<K4, C>>()));
    let level4 = level3.get(k3);
    if (level4 === undefined) level3.set(k3, (level4 = new Map<K4, C>()));
    let child = level4.get(k4);
    if (child === undefined) level4.set(k4, (child = this.create(k1, k2, k3, k4)));
    return child;
  }
}
