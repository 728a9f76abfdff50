// The built-in examples' titles and descriptions (GET /api/examples, GET /api/datasets) and the
// datasets' descriptions in Vietnamese. English is the registry's own text
// (chainrule/examples.py, chainrule/training/datasets.py), which t() falls back to.
// Data only: i18n.js registers it (registerStrings). Keys: example.title.<id>,
// example.desc.<id>, dataset.desc.<name>.

export default {
  "en": {},
  "vi": {
    "example.title.worked": "Ví dụ mẫu: y = w·x + b, loss giá trị tuyệt đối",
    "example.desc.worked": "y = 7, loss = 3; d loss/d w = 2 và d loss/d b = 1.",
    "example.title.shared": "Một đầu vào dùng chung: x*x + x",
    "example.desc.shared": "x nằm trên ba đường đi: d y/d x = 2x + 1 = 7 là tổng của chúng.",
    "example.title.dense": "Lớp Dense: relu(x @ W + b)",
    "example.desc.dense": "Một lớp tensor: ma trận Jacobi cục bộ của @ là W^T, của relu là một mặt nạ 0/1.",
    "example.title.mlp": "MLP hai lớp với softmax cross-entropy",
    "example.desc.mlp": "Gradient của cross-entropy trung bình tại logits: (softmax - one_hot) / N.",
    "example.title.logistic": "Hồi quy logistic",
    "example.desc.logistic": "Cross-entropy nhị phân của một sigmoid: gradient tại logit là p - y.",
    "example.title.local-minimum": "Một cực tiểu cục bộ (hình minh họa momentum)",
    "example.desc.local-minimum": "Từ w = 2, SGD thường dừng ở một cực tiểu cục bộ; momentum lăn qua được.",
    "example.title.sigmoid-chain": "Gradient triệt tiêu: chuỗi 10 lớp sigmoid",
    "example.desc.sigmoid-chain": "Mỗi sigmoid cho qua nhiều nhất 1/4 gradient: sau 10 lớp, d loss/d x chỉ bằng một phần triệu d loss/d y.",
    "example.title.saturated-tanh": "Bão hòa: tanh của một đầu vào lớn",
    "example.desc.saturated-tanh": "tanh(4.2) = 0.9995: gradient cục bộ 1 − h² nhỏ hơn 0.001, nên w, x và b học chậm hơn y cả nghìn lần.",
    "example.title.exploding-chain": "Gradient bùng nổ: tám lớp với trọng số 10",
    "example.desc.exploding-chain": "Mỗi lớp nhân gradient lên 10 lần: d h8/d x = 10^8.",
    "example.title.log-softmax-nan": "NaN: log(softmax(z)) với một logit lớn",
    "example.desc.log-softmax-nan": "softmax làm tròn e^-1000 về 0, log(0) = -Infinity, và 0 · -Infinity là NaN.",
    "example.title.log-softmax-stable": "Dạng ổn định: log_softmax(z)",
    "example.desc.log-softmax-stable": "log_softmax trừ đi logit lớn nhất trước: loss bằng 1000, hữu hạn.",
    "example.title.dead-relu": "ReLU chết: bias âm rất lớn",
    "example.desc.dead-relu": "Mọi giá trị trước kích hoạt đều dưới 0: ReLU không truyền gradient nào về W hay b.",
    "example.title.abs-kink": "Một điểm gãy: abs(x) tại 0",
    "example.desc.abs-kink": "|x| không có đạo hàm tại 0; chainrule, giống PyTorch, dùng 0.",
    "example.title.mistakes": "Lỗi thường gặp: b = x + x; c = b + b",
    "example.desc.mistakes": "d c/d x = 4. Ghi đè (=) thay vì cộng dồn (+=) cho 1; xử lý một node trước khi mọi node dùng nó xong cho 6.",
    "dataset.desc.linear": "hồi quy tuyến tính một chiều: y = 2x + 1 + nhiễu",
    "dataset.desc.sine": "hình sin có nhiễu: y = sin(x) + nhiễu, x trong [-π, π]",
    "dataset.desc.moons": "hai nửa vòng tròn lồng vào nhau, hai lớp",
    "dataset.desc.xor": "XOR: lớp 1 ở nơi x₁ và x₂ trái dấu",
    "dataset.desc.spirals": "hai đường xoắn ốc đan vào nhau, hai lớp"
  }
};
