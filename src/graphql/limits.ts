import type { ApolloServerPlugin } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  defaultFieldResolver,
  getOperationAST,
  GraphQLError,
  GraphQLObjectType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type ParseOptions,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { createRequire } from 'node:module';

// Its ESM build imports 'graphql/index.mjs', a second copy of graphql beside the CommonJS one that
// type-graphql and Apollo load ("Cannot use GraphQLObjectType from another module"); the CommonJS build shares theirs.
const { fieldExtensionsEstimator, getComplexity, simpleEstimator } = createRequire(import.meta.url)(
  'graphql-query-complexity',
) as typeof import('graphql-query-complexity');

/**
 * What one GraphQL operation may ask for. The same limits apply over HTTP and on the WebSocket, and every
 * check is linear in the size of the document: each fragment is looked at once, however often it is spread.
 */
export interface QueryLimits {
  /** Deepest nesting of fields (fragments followed, not counted as levels; introspection's `__schema` exempt). */
  maxDepth: number;
  /** Most work: each field and alias at least 1, paginated lists times their page size, collection-wide reads at their price. */
  maxComplexity: number;
  /** Most aliases (a fragment's count once per spread). */
  maxAliases: number;
  /** Most lexical tokens in the document; parsing stops at the first one past it. */
  maxTokens: number;
  /** Longest document, in characters; a longer one is refused before it is parsed (or hashed). */
  maxDocumentChars: number;
  /** Most directives (`@include`, `@skip`...; a fragment's count once per spread). */
  maxDirectives: number;
  /** Longest an operation may run; fields not yet resolved by then fail with OPERATION_TIMEOUT. */
  timeoutMs: number;
  /** Whether `__schema` and `__type` may be asked for. */
  introspection: boolean;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  maxDepth: 10,
  maxComplexity: 20_000,
  maxAliases: 30,
  maxTokens: 2_000,
  maxDocumentChars: 100_000,
  maxDirectives: 50,
  timeoutMs: 10_000,
  introspection: true,
};

/** The limits as configured (GRAPHQL_* settings). */
export function queryLimitsFrom(config: {
  graphqlMaxDepth: number;
  graphqlMaxComplexity: number;
  graphqlMaxAliases: number;
  graphqlMaxTokens: number;
  graphqlMaxDocumentChars: number;
  graphqlMaxDirectives: number;
  graphqlTimeoutMs: number;
  graphqlIntrospection: boolean;
}): QueryLimits {
  return {
    maxDepth: config.graphqlMaxDepth,
    maxComplexity: config.graphqlMaxComplexity,
    maxAliases: config.graphqlMaxAliases,
    maxTokens: config.graphqlMaxTokens,
    maxDocumentChars: config.graphqlMaxDocumentChars,
    maxDirectives: config.graphqlMaxDirectives,
    timeoutMs: config.graphqlTimeoutMs,
    introspection: config.graphqlIntrospection,
  };
}

/**
 * A document longer than the limit, refused before anything reads it: the token limit stops the parser early, but
 * the text was hashed and, for the syntax error's location, scanned whole (twice) first; on a 200 KB document
 * that was most of the refusal's cost.
 */
export function documentTooLong(query: unknown, limits: Pick<QueryLimits, 'maxDocumentChars'>): GraphQLError | null {
  if (typeof query !== 'string' || query.length <= limits.maxDocumentChars) return null;
  return new GraphQLError(`The document is ${query.length} characters long; at most ${limits.maxDocumentChars} are read (send data as variables).`, {
    extensions: { code: 'GRAPHQL_PARSE_FAILED' },
  });
}

/** For graphql's parser (Apollo's `parseOptions`, the socket's parse): stop at the first token past the limit. */
export function parseOptionsFor(limits: QueryLimits): ParseOptions {
  return { maxTokens: limits.maxTokens };
}

/**
 * Validation rules beside graphql's own (GraphQL Armor's depth, alias and directive limits, which count each
 * fragment once; graphql's rule that turns introspection off). Each refusal is one error naming the limit.
 */
export function limitRules(limits: QueryLimits): ValidationRule[] {
  const report = (message: (found: number) => string) => (context: ValidationContext | null, found: number) =>
    context?.reportError(new GraphQLError(message(found)));
  const rules: ValidationRule[] = [
    maxDepthRule({
      n: limits.maxDepth,
      // A fragment is not a level of its own: its fields count where it is spread.
      flattenFragments: true,
      // Introspection nests deeper than data (the standard query goes 13 levels into type references);
      // graphql's own MaxIntrospectionDepthRule bounds its recursion instead.
      ignoreIntrospection: true,
      propagateOnRejection: false,
      onReject: [armorRejection(report((depth) => `Query depth ${depth} exceeds the maximum of ${limits.maxDepth}.`))],
    }),
    maxAliasesRule({
      n: limits.maxAliases,
      allowList: [],
      propagateOnRejection: false,
      onReject: [armorRejection(report((found) => `The operation uses ${found} aliases; at most ${limits.maxAliases} are allowed.`))],
    }),
    maxDirectivesRule({
      n: limits.maxDirectives,
      propagateOnRejection: false,
      onReject: [armorRejection(report((found) => `The operation uses ${found} directives; at most ${limits.maxDirectives} are allowed.`))],
    }),
  ];
  if (!limits.introspection) rules.push(noIntrospection);
  return rules;
}

/**
 * GRAPHQL_INTROSPECTION=false: `__schema` and `__type`, the only ways into the introspection types, are
 * refused, one error each (graphql's NoSchemaIntrospectionCustomRule reports every field under them too,
 * 39 errors for the standard query). `__typename` stays.
 */
const noIntrospection: ValidationRule = (context) => ({
  Field(node) {
    const name = node.name.value;
    // Elsewhere than on Query they are unknown fields, which graphql's own rule reports.
    if ((name === '__schema' || name === '__type') && context.getParentType() === context.getSchema().getQueryType()) {
      context.reportError(
        new GraphQLError(`GraphQL introspection has been disabled, but the requested query contained the field "${name}".`, { nodes: node }),
      );
    }
  },
});

/** Armor hands its rejection over as a message ending in "found N."; the number is all we take from it. */
function armorRejection(report: (context: ValidationContext | null, found: number) => void) {
  return (context: ValidationContext | null, error: GraphQLError) => {
    const found = Number(/found (\d+)\.?$/.exec(error.message)?.[1] ?? NaN);
    report(context, found);
  };
}

/**
 * Fields, fragment spreads and inline fragments the operation selects once its fragments are expanded, each
 * fragment's count computed once (linear in the document, however often fragments spread each other).
 * graphql-query-complexity walks the expanded selections one by one, so this bounds that walk first.
 */
export function expandedSelections(document: DocumentNode, operationName?: string | null): number {
  const operation = getOperationAST(document, operationName);
  if (!operation) return 0;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const counted = new Map<string, number>();
  const countSet = (set: SelectionSetNode | undefined): number => {
    let count = 0;
    for (const selection of set?.selections ?? []) {
      count += 1;
      if (selection.kind === Kind.FRAGMENT_SPREAD) count += countFragment(selection.name.value);
      else count += countSet(selection.selectionSet);
    }
    return count;
  };
  const countFragment = (name: string): number => {
    const known = counted.get(name);
    if (known !== undefined) return known;
    counted.set(name, 0); // a cycle (refused by validation) counts nothing more
    const count = countSet(fragments.get(name)?.selectionSet);
    counted.set(name, count);
    return count;
  };
  return countSet(operation.selectionSet);
}

type Price = (args: Record<string, unknown>, childComplexity: number) => number;
const days = (args: Record<string, unknown>) => (typeof args.days === 'number' && args.days > 0 ? args.days : 30);

/**
 * What fields cost that read far more than what they return (paginated lists declare `perPage` on the field
 * itself). Without these, 5,000 aliases of `dashboardSummary` cost 10,000 and ran for seconds.
 */
export const FIELD_PRICES: Readonly<Record<string, Price>> = {
  // Five aggregations over every host and service: priced as five pages of 100.
  'Query.dashboardSummary': (_args, child) => 500 + child,
  // One aggregation over every service, returning every service's name: priced as the attention lists.
  'Query.servicesByStatus': (_args, child) => 1 + 300 * child,
  // Hourly rollups (24 small reads a day, batched across the services of one request): 1 per 10 days asked for.
  'Query.serviceUptime': (args, child) => 1 + Math.ceil(days(args) / 10) + child,
  'Service.uptime': (args, child) => 1 + Math.ceil(days(args) / 10) + child,
};

const priceListEstimator = ({ type, field, args, childComplexity }: { type: { name: string }; field: { name: string }; args: Record<string, unknown>; childComplexity: number }) =>
  FIELD_PRICES[`${type.name}.${field.name}`]?.(args, childComplexity);

/**
 * The error for an operation that asks for more than `maxComplexity` (each field and alias costs 1, a
 * paginated list its page size times what each item selects, as declared on the fields), or null when it
 * is within bounds. Variables that do not fit their types are left to execution (BAD_USER_INPUT).
 */
export function complexityError(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
  maxComplexity: number,
): GraphQLError | null {
  // Every selection costs at least 1: past the limit there is nothing left to weigh.
  const selections = expandedSelections(document, operationName);
  if (selections > maxComplexity) {
    return tooComplex(
      `Query complexity exceeds the maximum of ${maxComplexity}: it selects ${selections} fields and fragments once its fragments are expanded.`,
      maxComplexity,
    );
  }
  let complexity: number;
  try {
    complexity = getComplexity({
      schema,
      query: document,
      operationName: operationName ?? undefined,
      variables: variables ?? {},
      estimators: [priceListEstimator, fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })],
      // Never reached after the count above; a bound all the same.
      maxQueryNodes: maxComplexity + 1,
    });
  } catch (error) {
    if (error instanceof GraphQLError && /maximum allowed number of nodes/.test(error.message)) {
      return tooComplex(`Query complexity exceeds the maximum of ${maxComplexity}.`, maxComplexity);
    }
    if (error instanceof GraphQLError) return null;
    throw error;
  }
  if (complexity <= maxComplexity) return null;
  return tooComplex(`Query complexity ${complexity} exceeds the maximum of ${maxComplexity}; ask for smaller pages or fewer fields.`, maxComplexity);
}

function tooComplex(message: string, maxComplexity: number): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'QUERY_TOO_COMPLEX', maxComplexity, http: { status: 400 } } });
}

/** Refuses, before anything runs, an HTTP operation over the complexity limit. */
export function complexityLimit(schema: GraphQLSchema, maxComplexity: number): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          const error = complexityError(schema, document, request.operationName, request.variables, maxComplexity);
          if (error) throw error;
        },
      };
    },
  };
}

/** When the operation of a context must be done by; its fields not resolved by then fail. */
export interface Deadline {
  at: number;
  timeoutMs: number;
}

export function deadlineIn(timeoutMs: number): Deadline {
  return { at: Date.now() + timeoutMs, timeoutMs };
}

export const OPERATION_TIMEOUT = 'OPERATION_TIMEOUT';

/**
 * Gives every field of the schema the per-operation time limit: once the context's deadline has passed, a
 * field about to be resolved fails with OPERATION_TIMEOUT instead of starting more work (reads already under
 * way finish; nothing new starts). graphql-js cannot cancel an execution; this is how it stops one.
 * One synchronous clock read per field, no promise added.
 */
export function enforceDeadlines(schema: GraphQLSchema): void {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!(type instanceof GraphQLObjectType) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context: { deadline?: Deadline } | undefined, info) => {
        const deadline = context?.deadline;
        // At the deadline, not only past it: a limit of 0 stops every field, whatever the clock's resolution.
        if (deadline !== undefined && Date.now() >= deadline.at) throw timedOut(deadline.timeoutMs);
        return resolve(source, args, context, info);
      };
    }
  }
}

function timedOut(timeoutMs: number): GraphQLError {
  return new GraphQLError(`The operation ran longer than ${timeoutMs} ms and was stopped; ask for less.`, { extensions: { code: OPERATION_TIMEOUT } });
}

/** One OPERATION_TIMEOUT error per response, not one per field that did not run. */
export function withOneTimeoutError<E extends { extensions?: { [key: string]: unknown } }>(errors: readonly E[]): E[] {
  let seen = false;
  return errors.filter((error) => {
    if (error.extensions?.code !== OPERATION_TIMEOUT) return true;
    if (seen) return false;
    seen = true;
    return true;
  });
}

/** Apollo: the timeout's errors, one per response. */
export function oneTimeoutErrorPerResponse(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind === 'single' && response.body.singleResult.errors) {
            response.body.singleResult.errors = withOneTimeoutError(response.body.singleResult.errors);
          }
        },
      };
    },
  };
}
