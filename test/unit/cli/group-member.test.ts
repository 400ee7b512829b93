import { describe, expect, it } from 'vitest';
import { decodeConsumerAssignment } from '../../../src/cli/client/kafka-client.js';
import { encodeAssignment, rangeAssign } from '../../../src/cli/client/group-member.js';

describe('CLI group member', () => {
  it('range-assigns each topic over its subscribers, sorted by member id', () => {
    const out = rangeAssign(
      [
        { memberId: 'b', topics: ['t', 'u'] },
        { memberId: 'a', topics: ['t'] },
      ],
      new Map([
        ['t', 5],
        ['u', 2],
      ]),
    );
    expect(out.get('a')).toEqual(new Map([['t', [0, 1, 2]]]));
    expect(out.get('b')).toEqual(
      new Map([
        ['t', [3, 4]],
        ['u', [0, 1]],
      ]),
    );
  });

  it('encodes assignments that the standard decoder reads back', () => {
    const bytes = encodeAssignment(new Map([['t', [1, 3]]]));
    expect(decodeConsumerAssignment(bytes)).toEqual([{ topic: 't', partitions: [1, 3] }]);
  });
});
