using EipCni.Eip;

namespace EipCni.Tests.Eip;

/// <summary>Derived ClientTokens (docs/design.md §4): stable for the same attachment, different for anything else, within the cloud's 64 ASCII characters.</summary>
public class ClientTokensTests
{
    [Fact]
    public void The_same_attachment_and_generation_give_the_same_token_and_anything_else_another()
    {
        var t = ClientTokens.Allocate("c1", "net1", "cid", "eth0", 0);
        Assert.Equal(t, ClientTokens.Allocate("c1", "net1", "cid", "eth0", 0));
        string[] others =
        [
            ClientTokens.Allocate("c1", "net1", "cid", "eth0", 1),
            ClientTokens.Allocate("c2", "net1", "cid", "eth0", 0),
            ClientTokens.Allocate("c1", "net2", "cid", "eth0", 0),
            ClientTokens.Allocate("c1", "net1", "cid2", "eth0", 0),
            ClientTokens.Allocate("c1", "net1", "cid", "eth1", 0),
            // No collision by concatenation: ("ab","c") and ("a","bc") differ.
            ClientTokens.Allocate("c1", "net1", "ci", "deth0", 0),
            ClientTokens.Associate("c1", "net1", "cid", "eth0", "eip-1", "eni-1", "10.0.0.1", 0),
            ClientTokens.AddToPackage("c1", "net1", "cid", "eth0", "eip-1", "cbwp-1"),
        ];
        Assert.DoesNotContain(t, others);
        Assert.Equal(others.Length, others.Distinct().Count());
        foreach (var token in others.Append(t))
        {
            Assert.StartsWith("eipcni-", token);
            Assert.True(token.Length <= 64);
            Assert.All(token, c => Assert.True(char.IsAscii(c)));
        }
    }

    [Fact]
    public void Each_association_of_a_record_gets_its_own_token()
    {
        var first = ClientTokens.Associate("c1", "net1", "cid", "eth0", "eip-1", "eni-1", "10.0.0.1", 1);
        Assert.Equal(first, ClientTokens.Associate("c1", "net1", "cid", "eth0", "eip-1", "eni-1", "10.0.0.1", 1));
        Assert.NotEqual(first, ClientTokens.Associate("c1", "net1", "cid", "eth0", "eip-1", "eni-1", "10.0.0.1", 2));
        Assert.NotEqual(first, ClientTokens.Associate("c1", "net1", "cid", "eth0", "eip-1", "eni-1", "10.0.0.2", 1));
    }
}
