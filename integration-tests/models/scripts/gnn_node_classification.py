"""Semi-supervised node classification with a GCN and a GAT in plain tensor ops (no PyG).

The first layer is a dense GCN (Kipf & Welling) over the symmetric normalized adjacency
D^-1/2 (A + I) D^-1/2; the second a multi-head graph attention layer (Velickovic et
al.) on the edge list, with LeakyReLU scores, a softmax over each node's incoming edges
(sums by scatter_add_) and messages gathered with index_add_; the classifier is a
message-passing GCN layer on the same edge list. Only the nodes of the training mask
enter the loss.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

NUM_NODES = 24
NUM_CLASSES = 3
NUM_FEATURES = 8


def add_self_loops(edge_index, num_nodes):
    loops = torch.arange(num_nodes, device=edge_index.device)
    return torch.cat([edge_index, torch.stack([loops, loops])], dim=1)


def normalized_adjacency(edge_index, num_nodes, dtype):
    adj = torch.zeros(num_nodes, num_nodes, dtype=dtype)
    adj[edge_index[0], edge_index[1]] = 1.0
    adj = adj + torch.eye(num_nodes, dtype=dtype)
    deg = adj.sum(dim=1)
    deg_inv_sqrt = torch.pow(deg, -0.5)
    deg_inv_sqrt[torch.isinf(deg_inv_sqrt)] = 0.0
    d = torch.diag(deg_inv_sqrt)
    return d @ adj @ d


class DenseGCNLayer(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(in_features, out_features))
        self.bias = nn.Parameter(torch.zeros(out_features))
        nn.init.xavier_uniform_(self.weight)

    def forward(self, x, adj):
        return adj @ (x @ self.weight) + self.bias


class GCNConv(nn.Module):
    """A GCN layer as message passing: each edge carries x_j / sqrt(deg_i deg_j)."""

    def __init__(self, in_features, out_features):
        super().__init__()
        self.lin = nn.Linear(in_features, out_features, bias=False)
        self.bias = nn.Parameter(torch.zeros(out_features))

    def forward(self, x, edge_index):
        n = x.size(0)
        src, dst = add_self_loops(edge_index, n)
        deg = torch.zeros(n, dtype=x.dtype).index_add_(0, dst, torch.ones(dst.size(0),
                                                                         dtype=x.dtype))
        norm = deg[src].pow(-0.5) * deg[dst].pow(-0.5)
        h = self.lin(x)
        out = torch.zeros_like(h).index_add_(0, dst, h[src] * norm.unsqueeze(-1))
        return out + self.bias


class GATConv(nn.Module):
    def __init__(self, in_features, out_features, heads=2, negative_slope=0.2, dropout=0.0):
        super().__init__()
        self.heads = heads
        self.out_features = out_features
        self.negative_slope = negative_slope
        self.dropout = dropout
        self.lin = nn.Linear(in_features, heads * out_features, bias=False)
        self.att_src = nn.Parameter(torch.empty(1, heads, out_features))
        self.att_dst = nn.Parameter(torch.empty(1, heads, out_features))
        self.bias = nn.Parameter(torch.zeros(heads * out_features))
        nn.init.xavier_uniform_(self.lin.weight, gain=1.414)
        nn.init.xavier_uniform_(self.att_src)
        nn.init.xavier_uniform_(self.att_dst)

    def forward(self, x, edge_index):
        n, H, C = x.size(0), self.heads, self.out_features
        src, dst = add_self_loops(edge_index, n)
        h = self.lin(x).view(n, H, C)
        alpha_src = (h * self.att_src).sum(dim=-1)                  # (n, H)
        alpha_dst = (h * self.att_dst).sum(dim=-1)
        e = F.leaky_relu(alpha_src[src] + alpha_dst[dst], self.negative_slope)  # (E, H)
        # Softmax over the incoming edges of every node. The shift keeps exp in range;
        # it is the same for a whole segment, so it cancels (and carries no gradient).
        e = e - e.max(dim=0, keepdim=True).values.detach()
        e = torch.exp(e)
        denom = torch.zeros(n, H, dtype=x.dtype).scatter_add_(
            0, dst.unsqueeze(-1).expand(-1, H), e)
        alpha = e / (denom[dst] + 1e-16)
        alpha = F.dropout(alpha, p=self.dropout, training=self.training)
        out = torch.zeros(n, H, C, dtype=x.dtype)
        out.index_add_(0, dst, h[src] * alpha.unsqueeze(-1))
        return out.reshape(n, H * C) + self.bias


class Net(nn.Module):
    def __init__(self, hidden=16, heads=2, dropout=0.0):
        super().__init__()
        self.dropout = dropout
        self.conv1 = DenseGCNLayer(NUM_FEATURES, hidden)
        self.conv2 = GATConv(hidden, hidden // heads, heads=heads, dropout=dropout)
        self.conv3 = GCNConv(hidden, NUM_CLASSES)

    def forward(self, x, edge_index):
        adj = normalized_adjacency(edge_index, x.size(0), x.dtype)
        x = F.dropout(x, p=self.dropout, training=self.training)
        x = F.relu(self.conv1(x, adj))
        x = F.dropout(x, p=self.dropout, training=self.training)
        x = F.elu(self.conv2(x, edge_index))
        x = self.conv3(x, edge_index)
        return F.log_softmax(x, dim=1)


def build_model():
    torch.manual_seed(0)
    return Net()


def make_data():
    per_class = NUM_NODES // NUM_CLASSES
    y = torch.arange(NUM_NODES) // per_class
    edges = []
    for c in range(NUM_CLASSES):
        base = c * per_class
        for i in range(per_class):
            edges.append((base + i, base + (i + 1) % per_class))   # a ring per class
            if i % 2 == 0:
                edges.append((base + i, base + (i + 3) % per_class))
    for i in range(0, NUM_NODES, 2):                               # noise across classes
        edges.append((i, (i + per_class + 1) % NUM_NODES))
    edge_index = torch.tensor(edges, dtype=torch.long).t()
    edge_index = torch.cat([edge_index, edge_index.flip(0)], dim=1)  # undirected
    centers = torch.randn(NUM_CLASSES, NUM_FEATURES)
    x = centers[y] + 3.0 * torch.randn(NUM_NODES, NUM_FEATURES)
    train_mask = torch.zeros(NUM_NODES, dtype=torch.bool)
    train_mask[torch.arange(0, NUM_NODES, 3)] = True
    return {"x": x, "edge_index": edge_index, "y": y, "train_mask": train_mask}


def train(model, data, steps):
    # Weight decay on the first layer only, as in the GCN paper's setup.
    optimizer = torch.optim.Adam([
        dict(params=model.conv1.parameters(), weight_decay=5e-4),
        dict(params=list(model.conv2.parameters()) + list(model.conv3.parameters()),
             weight_decay=0),
    ], lr=0.01)
    losses = []
    for _ in range(steps):
        model.train()
        optimizer.zero_grad()
        out = model(data["x"], data["edge_index"])
        loss = F.nll_loss(out[data["train_mask"]], data["y"][data["train_mask"]])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@torch.no_grad()
def evaluate(model, data):
    model.eval()
    out = model(data["x"], data["edge_index"])
    pred = out.argmax(dim=1)
    results = []
    for mask in (data["train_mask"], ~data["train_mask"]):
        correct = pred[mask].eq(data["y"][mask]).sum().item()
        results.append(correct / int(mask.sum()))
    test_loss = F.nll_loss(out[~data["train_mask"]], data["y"][~data["train_mask"]])
    return results, test_loss.item(), out[:3].exp().tolist()
