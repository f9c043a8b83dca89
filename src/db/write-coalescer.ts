import type { AnyBulkWriteOperation, Collection, Document } from 'mongodb';

interface Queued {
  collection: Collection<Document>;
  operations: AnyBulkWriteOperation<Document>[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Writes issued while an earlier flush is under way wait for it and then go together, one unordered bulkWrite per
 * collection: many small concurrent writers (deliveries finishing) cost a round trip per flush, not one each. Each
 * caller's promise settles with the flush that carried its writes.
 */
export class WriteCoalescer {
  private queue: Queued[] = [];
  private flushing: Promise<void> | null = null;

  write(collection: Collection<Document>, operations: AnyBulkWriteOperation<Document>[]): Promise<void> {
    if (operations.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ collection, operations, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      const byCollection = new Map<Collection<Document>, Queued[]>();
      for (const queued of batch) byCollection.set(queued.collection, [...(byCollection.get(queued.collection) ?? []), queued]);
      await Promise.all(
        [...byCollection].map(([collection, writes]) =>
          collection.bulkWrite(writes.flatMap((w) => w.operations), { ordered: false }).then(
            () => writes.forEach((w) => w.resolve()),
            (error: unknown) => writes.forEach((w) => w.reject(error)),
          ),
        ),
      );
    }
    this.flushing = null;
  }
}
