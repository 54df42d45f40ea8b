/**
 * Deletions that race admin calls, held open so that a test meets them every time. On a quiet
 * broker the windows are short: a deleted topic's committed offsets are dropped by the group
 * coordinator moments after the topic leaves the metadata, and a group deleted between two calls
 * is gone only for the second. On a busy one, or on a cluster where tests or jobs come and go,
 * `freshet status` and `freshet lag` meet them.
 */
import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  Admin,
  type AdminListOffsetsOptions,
  type ListConsumerGroupOffsetsGroup,
  type ListConsumerGroupOffsetsOptions,
  type ListGroupsOptions,
} from '@platformatic/kafka'
import { brokers } from './kafka.ts'

function rawAdmin(): Admin {
  return new Admin({ clientId: 'freshet-test-races', bootstrapBrokers: brokers() })
}

/** Resolves once the broker's metadata no longer lists `topic`. */
async function untilGone(admin: Admin, topic: string): Promise<void> {
  while ((await admin.listTopics({ includeInternals: true })).includes(topic)) await sleep(50)
}

/**
 * Deletes `topic`, on which `groupId` has committed offsets, and for the rest of the test answers
 * the group's committed offsets as the coordinator does in the moments before it drops the deleted
 * topic's: the live answer plus the offsets the group had on `topic`. Resolves once the topic is
 * gone from the metadata.
 */
export async function offsetsOutliveTopic(t: TestContext, groupId: string, topic: string): Promise<void> {
  const admin = rawAdmin()
  let kept
  try {
    const [before] = await admin.listConsumerGroupOffsets({ groups: [groupId] })
    kept = before?.topics.find((entry) => entry.name === topic)
    assert.ok(kept, `group ${groupId} has committed offsets on ${topic}`)
    await admin.deleteTopics({ topics: [topic] })
    await untilGone(admin, topic)
  } finally {
    await admin.close()
  }
  const listOffsets = Admin.prototype.listConsumerGroupOffsets
  t.mock.method(Admin.prototype, 'listConsumerGroupOffsets', async function (
    this: Admin,
    options: ListConsumerGroupOffsetsOptions,
  ): Promise<ListConsumerGroupOffsetsGroup[]> {
    const answer = await listOffsets.call(this, options)
    return answer.map((group) =>
      group.groupId === groupId && !group.topics.some((entry) => entry.name === topic)
        ? { ...group, topics: [...group.topics, kept] }
        : group,
    )
  } as typeof listOffsets)
}

/**
 * Deletes `groupId` (an empty group) right after the next listing of the cluster's groups has
 * named it, so that describing it finds a group that no longer exists. `deleted()` says whether
 * that listing happened.
 */
export function groupEndsAfterListing(t: TestContext, groupId: string): { deleted: () => boolean } {
  let deleted = false
  const listGroups = Admin.prototype.listGroups
  t.mock.method(Admin.prototype, 'listGroups', async function (this: Admin, options?: ListGroupsOptions) {
    const answer = await listGroups.call(this, options)
    if (!deleted && answer.has(groupId)) {
      await this.deleteGroups({ groups: [groupId] })
      deleted = true
    }
    return answer
  } as typeof listGroups)
  return { deleted: () => deleted }
}

/**
 * Deletes `topic` when its partitions' offsets are next asked (after its metadata was read), so
 * that the broker answers for a topic that is gone. `deleted()` says whether that happened.
 */
export function topicEndsBeforeItsOffsets(t: TestContext, topic: string): { deleted: () => boolean } {
  let deleted = false
  const listOffsets = Admin.prototype.listOffsets
  t.mock.method(Admin.prototype, 'listOffsets', async function (
    this: Admin,
    options: AdminListOffsetsOptions,
  ) {
    if (!deleted && options.topics.some((entry) => entry.name === topic)) {
      await this.deleteTopics({ topics: [topic] })
      await untilGone(this, topic)
      deleted = true
    }
    return listOffsets.call(this, options)
  } as typeof listOffsets)
  return { deleted: () => deleted }
}
