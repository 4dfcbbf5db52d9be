import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { child, childText, items, parseXml, XmlError } from './xml.ts';

describe('the XML of EC2 Query answers', () => {
  it('reads elements, item lists, entities and namespaced roots', () => {
    const doc = parseXml(`<?xml version="1.0" encoding="UTF-8"?>
<DescribeNetworkInterfacesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>r-1</requestId>
  <networkInterfaceSet>
    <item><networkInterfaceId>eni-1</networkInterfaceId><description>a &amp; b &lt;c&gt; &#233;&#x41;</description><tagSet/></item>
    <item><networkInterfaceId>eni-2</networkInterfaceId></item>
  </networkInterfaceSet>
</DescribeNetworkInterfacesResponse>`);
    assert.equal(doc.name, 'DescribeNetworkInterfacesResponse');
    assert.deepEqual(items(doc, 'networkInterfaceSet').map((i) => childText(i, 'networkInterfaceId')), ['eni-1', 'eni-2']);
    assert.equal(childText(items(doc, 'networkInterfaceSet')[0], 'description'), 'a & b <c> éA');
    assert.deepEqual(items(items(doc, 'networkInterfaceSet')[0], 'tagSet'), []);
    assert.equal(child(doc, 'nextToken'), undefined);
  });

  it('reads the error envelope, and refuses what is not XML', () => {
    const error = parseXml('<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>no</Message></Error></Errors><RequestID>x</RequestID></Response>');
    assert.equal(childText(child(child(error, 'Errors'), 'Error'), 'Code'), 'UnauthorizedOperation');
    assert.throws(() => parseXml('<a><b></a>'), XmlError);
    assert.throws(() => parseXml('404 page not found'), XmlError);
  });
});
