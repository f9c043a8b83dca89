import { Field, Int, ObjectType, type ClassType } from 'type-graphql';
import { DEFAULT_PAGE_SIZE, type Page } from '../common/pagination.js';

@ObjectType({ description: 'Where a page sits in its list (Relay).' })
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field({ description: 'True when the page was asked for after a cursor.' })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

export interface ConnectionShape<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
  totalCount(): Promise<number>;
}

/** A Relay connection type `<Name>Connection` with `<Name>Edge`s, for a node type. */
export function Connection<T extends object>(Node: ClassType<T>, name: string): ClassType<ConnectionShape<T>> {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field({ description: 'Opaque; pass as `after` to get the items after this one.' })
    cursor!: string;

    @Field(() => Node)
    node!: T;
  }

  @ObjectType(`${name}Connection`, { description: `A page of ${name} items.` })
  class ConnectionType implements ConnectionShape<T> {
    @Field(() => [Edge])
    edges!: Edge[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    private countAll!: () => Promise<number>;

    @Field(() => Int, { description: 'All items matching the filter, across pages.' })
    totalCount(): Promise<number> {
      return this.countAll();
    }

    static from(page: Page<T>): ConnectionType {
      const connection = new ConnectionType();
      connection.edges = page.items;
      connection.pageInfo = {
        hasNextPage: page.hasNextPage,
        hasPreviousPage: page.hasPreviousPage,
        startCursor: page.items[0]?.cursor ?? null,
        endCursor: page.items.at(-1)?.cursor ?? null,
      };
      connection.countAll = page.totalCount;
      return connection;
    }
  }
  return ConnectionType;
}

/** Turns a domain page into the connection class's instance. */
export function toConnection<T extends object>(ConnectionClass: ClassType<ConnectionShape<T>>, page: Page<T>): ConnectionShape<T> {
  return (ConnectionClass as unknown as { from(page: Page<T>): ConnectionShape<T> }).from(page);
}

/** Complexity of a paginated field: its page size times what each item selects. */
export const perPage = ({ args, childComplexity }: { args: { first?: number | null }; childComplexity: number }) =>
  1 + (args.first ?? DEFAULT_PAGE_SIZE) * childComplexity;
