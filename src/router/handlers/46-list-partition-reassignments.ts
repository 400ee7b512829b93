// Thread: main. ListPartitionReassignments (key 46), version 0: no reassignment is ever in
// progress (AlterPartitionReassignments only accepts the current placement), so the answer is
// empty, for all partitions or the ones asked for; unknown ones are simply not listed, as Kafka does.
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  decodeListPartitionReassignmentsRequest,
  encodeListPartitionReassignmentsResponse,
  listPartitionReassignmentsApi,
  type ListPartitionReassignmentsRequest,
  type ListPartitionReassignmentsResponse,
} from '../../protocol/generated/messages/46-list-partition-reassignments.js';
import { defineHandler } from './types.js';

export const listPartitionReassignmentsHandler = defineHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>({
  apiKey: listPartitionReassignmentsApi.apiKey,
  name: 'ListPartitionReassignments',
  minVersion: 0,
  maxVersion: 0,
  decodeRequest: decodeListPartitionReassignmentsRequest,
  encodeResponse: encodeListPartitionReassignmentsResponse,
  handle() {
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics: [] };
  },
});
