import { Arg, Authorized, Ctx, Field, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../../graphql/context.js';
import { graphqlEnum } from '../../graphql/enums.js';
import { formatInventory, INVENTORY_FORMATS, parseInventory, type InventoryFormat } from './inventory-file.js';
import type { InventoryChange, InventoryPlan } from './inventory.service.js';

const InventoryFormatEnum = graphqlEnum(INVENTORY_FORMATS, 'InventoryFormat', 'How an inventory file is written.');
const ChangeActionEnum = graphqlEnum(['create', 'update', 'delete'] as const, 'InventoryChangeAction', 'What applying a file does to one entry.');
const KindEnum = graphqlEnum(['environment', 'host', 'service'] as const, 'InventoryKind', 'What an inventory entry is.');

@ObjectType({ description: 'One change applying an inventory file makes (or would make).' })
class InventoryChangeType {
  @Field(() => KindEnum) kind!: InventoryChange['kind'];
  @Field({ description: 'env_name, host_id or service_id.' }) id!: string;
  @Field(() => ChangeActionEnum) action!: InventoryChange['action'];
  @Field(() => [String], { description: 'For an update: the dotted fields that change.' }) fields!: string[];
  @Field(() => String, { nullable: true, description: 'Why it was refused (the rest still applied).' }) error!: string | null;
}

@ObjectType({ description: 'What applying an inventory file did, or would do.' })
class InventoryPlanType {
  @Field() dryRun!: boolean;
  @Field() prune!: boolean;
  @Field(() => [InventoryChangeType]) changes!: InventoryChangeType[];
}

@Resolver()
export class InventoryResolver {
  @Authorized('admin')
  @Query(() => String, { description: 'The inventory as a file (environments, hosts, services; secrets as ***), to keep in git and apply back.' })
  async exportInventory(@Arg('format', () => InventoryFormatEnum, { defaultValue: 'yaml' }) format: InventoryFormat, @Ctx() { domain }: GraphQLContext): Promise<string> {
    return formatInventory(await domain.inventory.export(), format);
  }

  @Authorized('admin')
  @Mutation(() => InventoryPlanType, { description: 'Applies an inventory file (YAML or JSON): creates and updates what it says; prune deletes what it lacks; dryRun writes nothing.' })
  applyInventory(
    @Arg('document', { description: 'The file’s text, as exportInventory writes it.' }) document: string,
    @Arg('dryRun', { defaultValue: false }) dryRun: boolean,
    @Arg('prune', { defaultValue: false }) prune: boolean,
    @Ctx() { domain }: GraphQLContext,
  ): Promise<InventoryPlan> {
    return domain.inventory.apply(parseInventory(document), { dryRun, prune });
  }
}
