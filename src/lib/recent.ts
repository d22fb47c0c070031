/** The newest `capacity` items, oldest dropped first. */
export class RecentList<T> {
  private items: T[] = [];
  constructor(private readonly capacity: number) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
  }

  /** Newest first. */
  newest(limit = this.capacity): T[] {
    return this.items.slice(-limit).reverse();
  }
}
